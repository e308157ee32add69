/* Grant convergence for the alternating-users clone: SHOW GRANTS lines read into sets and compared, so what
 * the current user no longer holds is revoked from the other user too (grants that only add would bring back a
 * privilege revoked by hand at the next rotation). Names are compared as the server printed them: both sides
 * come from the same server's SHOW GRANTS. */
#include "grants.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *object;  /* "`db`.*", "PROCEDURE `db`.`p`", "''@''"; NULL for a role */
    char *item;    /* "SELECT", "UPDATE (`x`)", "PROXY", or the role as printed */
    bool option;   /* WITH GRANT OPTION (privileges) or WITH ADMIN OPTION (roles) */
} entry;

typedef struct {
    entry *e;
    size_t n, cap;
    bool failed;
} entries;

static void entries_free(entries *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->e[i].object);
        free(s->e[i].item);
    }
    free(s->e);
    memset(s, 0, sizeof(*s));
}

static char *dup_range(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    if (out) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    return out;
}

static void entries_add(entries *s, const char *object, size_t olen, const char *item, size_t ilen, bool option)
{
    if (s->failed) {
        return;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        entry *grown = realloc(s->e, cap * sizeof(*grown));
        if (!grown) {
            s->failed = true;
            return;
        }
        s->e = grown;
        s->cap = cap;
    }
    entry *e = &s->e[s->n];
    e->object = object ? dup_range(object, olen) : NULL;
    e->item = dup_range(item, ilen);
    e->option = option;
    if (!e->item || (object && !e->object)) {
        free(e->object);
        free(e->item);
        s->failed = true;
        return;
    }
    s->n++;
}

/* Index just past the quoted name starting at s[i] (`...`, '...' or "..."; doubled or backslashed quotes). */
static size_t skip_quoted(const char *s, size_t i, size_t len)
{
    char q = s[i++];
    while (i < len) {
        if (q != '`' && s[i] == '\\' && i + 1 < len) {
            i += 2;
            continue;
        }
        if (s[i] == q) {
            if (i + 1 < len && s[i + 1] == q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i++;
    }
    return len;
}

/* Offset of the first `needle` in s[0..len) outside quotes and parentheses, or len. */
static size_t find_top(const char *s, size_t len, const char *needle)
{
    size_t nl = strlen(needle);
    int depth = 0;
    for (size_t i = 0; i < len;) {
        char c = s[i];
        if (c == '`' || c == '\'' || c == '"') {
            i = skip_quoted(s, i, len);
            continue;
        }
        if (c == '(') {
            depth++;
        } else if (c == ')' && depth > 0) {
            depth--;
        } else if (depth == 0 && i + nl <= len && memcmp(s + i, needle, nl) == 0) {
            return i;
        }
        i++;
    }
    return len;
}

static void trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ')) {
        (*s)++;
        (*len)--;
    }
    while (*len && (*s)[*len - 1] == ' ') {
        (*len)--;
    }
}

/* "UPDATE (`x`, `y`)" as one entry per column: "UPDATE (`x`)", "UPDATE (`y`)". */
static bool add_column_privilege(entries *s, const char *object, size_t olen, const char *p, size_t plen,
                                 bool option)
{
    const char *open = memchr(p, '(', plen);
    if (!open || p[plen - 1] != ')') {
        return false;
    }
    const char *name = p;
    size_t nlen = (size_t)(open - p);
    trim(&name, &nlen);
    const char *cols = open + 1;
    size_t clen = (size_t)(p + plen - 1 - cols);
    while (clen) {
        size_t comma = find_top(cols, clen, ",");
        const char *col = cols;
        size_t collen = comma;
        trim(&col, &collen);
        if (collen == 0 || nlen == 0) {
            return false;
        }
        size_t ilen = nlen + 2 + collen + 1;
        char *item = malloc(ilen + 1);
        if (!item) {
            s->failed = true;
            return false;
        }
        memcpy(item, name, nlen);
        memcpy(item + nlen, " (", 2);
        memcpy(item + nlen + 2, col, collen);
        item[ilen - 1] = ')';
        item[ilen] = '\0';
        entries_add(s, object, olen, item, ilen, option);
        free(item);
        if (s->failed) {
            return false;
        }
        if (comma >= clen) {
            break;
        }
        cols += comma + 1;
        clen -= comma + 1;
    }
    return true;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t sl = strlen(suffix);
    return len >= sl && memcmp(s + len - sl, suffix, sl) == 0;
}

/* One canonical line into the set. false: a line it cannot read. *skipped for SET DEFAULT ROLE lines. */
static bool parse_line(entries *s, const char *line, const char *account, bool *skipped)
{
    *skipped = false;
    if (strncmp(line, "SET DEFAULT ROLE ", 17) == 0) {
        *skipped = true;
        return true;
    }
    if (strncmp(line, "GRANT ", 6) != 0) {
        return false;
    }
    const char *body = line + 6;
    size_t len = strlen(body);
    bool option = false;
    if (ends_with(body, len, " WITH GRANT OPTION")) {
        option = true;
        len -= strlen(" WITH GRANT OPTION");
    } else if (ends_with(body, len, " WITH ADMIN OPTION")) {
        option = true;
        len -= strlen(" WITH ADMIN OPTION");
    }
    size_t al = strlen(account);
    if (len < al + 4 || memcmp(body + len - al, account, al) != 0 || memcmp(body + len - al - 4, " TO ", 4) != 0) {
        return false;
    }
    len -= al + 4;
    size_t on = find_top(body, len, " ON ");
    const char *object = NULL;
    size_t olen = 0, list_len = len;
    if (on < len) {
        object = body + on + 4;
        olen = len - on - 4;
        trim(&object, &olen);
        list_len = on;
        if (olen == 0) {
            return false;
        }
    }
    const char *p = body;
    size_t rest = list_len;
    while (rest) {
        size_t comma = find_top(p, rest, ",");
        const char *item = p;
        size_t ilen = comma;
        trim(&item, &ilen);
        if (ilen == 0) {
            return false;
        }
        bool fine;
        if (object && memchr(item, '(', ilen) && item[0] != '`' && item[0] != '\'') {
            fine = add_column_privilege(s, object, olen, item, ilen, option);
        } else {
            entries_add(s, object, olen, item, ilen, option);
            fine = !s->failed;
        }
        if (!fine) {
            return false;
        }
        if (comma >= rest) {
            break;
        }
        p += comma + 1;
        rest -= comma + 1;
    }
    return true;
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static const entry *find(const entries *s, const char *object, const char *item)
{
    for (size_t i = 0; i < s->n; i++) {
        if (same(s->e[i].object, object) && strcmp(s->e[i].item, item) == 0) {
            return &s->e[i];
        }
    }
    return NULL;
}

/* Any entry of `object` (a privilege object) with the grant option? */
static bool object_has_option(const entries *s, const char *object)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->e[i].object && strcmp(s->e[i].object, object) == 0 && s->e[i].option) {
            return true;
        }
    }
    return false;
}

typedef struct {
    char **v;
    size_t n, cap;
    bool failed;
} strlist;

static void sl_push(strlist *l, char *s)
{
    if (!s) {
        l->failed = true;
        return;
    }
    if (l->failed) {
        free(s);
        return;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **grown = realloc(l->v, cap * sizeof(*grown));
        if (!grown) {
            free(s);
            l->failed = true;
            return;
        }
        l->v = grown;
        l->cap = cap;
    }
    l->v[l->n++] = s;
}

static char *concat(const char *const *parts, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        len += strlen(parts[i]);
    }
    char *out = malloc(len + 1);
    if (!out) {
        return NULL;
    }
    char *p = out;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(parts[i]);
        memcpy(p, parts[i], l);
        p += l;
    }
    *p = '\0';
    return out;
}

void rl_grants_free(char **stmts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(stmts[i]);
    }
    free(stmts);
}

static rs_status read_lines(entries *s, const char *const *lines, size_t n, const char *account, rs_error *err)
{
    for (size_t i = 0; i < n; i++) {
        bool skipped;
        if (!parse_line(s, lines[i], account, &skipped)) {
            if (s->failed) {
                return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
            }
            return rs_error_set(err, RS_ERR_UNSUPPORTED, "cannot read the SHOW GRANTS line '%.200s'; converge the "
                                                         "other user's grants by hand",
                                lines[i]);
        }
    }
    return s->failed ? rs_error_set(err, RS_ERR_INTERNAL, "out of memory") : RS_OK;
}

rs_status rl_grants_plan(const char *const *want, size_t nwant, const char *const *have, size_t nhave,
                         const char *account, char ***stmts, size_t *nstmts, rs_error *err)
{
    *stmts = NULL;
    *nstmts = 0;
    entries w = {0}, h = {0};
    strlist out = {0};
    rs_status st = read_lines(&w, want, nwant, account, err);
    if (st == RS_OK) {
        st = read_lines(&h, have, nhave, account, err);
    }
    if (st != RS_OK) {
        entries_free(&w);
        entries_free(&h);
        return st;
    }
    /* 1. Privileges the target holds and the source does not, one REVOKE per object. */
    for (size_t i = 0; i < h.n && !out.failed; i++) {
        const char *object = h.e[i].object;
        bool first_of_object = true;
        for (size_t j = 0; j < i; j++) {
            if (same(h.e[j].object, object)) {
                first_of_object = false;
                break;
            }
        }
        if (!object || !first_of_object) {
            continue;
        }
        char *list = NULL;
        for (size_t j = i; j < h.n; j++) {
            if (!same(h.e[j].object, object) || strcmp(h.e[j].item, "USAGE") == 0 || find(&w, object, h.e[j].item)) {
                continue;
            }
            const char *parts[] = {list ? list : "", list ? ", " : "", h.e[j].item};
            char *grown = concat(parts, 3);
            free(list);
            list = grown;
            if (!list) {
                out.failed = true;
                break;
            }
        }
        if (list) {
            const char *parts[] = {"REVOKE ", list, " ON ", object, " FROM ", account};
            sl_push(&out, concat(parts, 6));
            free(list);
        }
        /* 2. A grant option the source does not have on this object. */
        if (object_has_option(&h, object) && !object_has_option(&w, object)) {
            const entry *proxy = find(&h, object, "PROXY");
            if (proxy && find(&w, object, "PROXY")) {
                const char *parts[] = {"REVOKE PROXY ON ", object, " FROM ", account};  /* re-granted below */
                sl_push(&out, concat(parts, 4));
            } else if (!proxy) {
                const char *parts[] = {"REVOKE GRANT OPTION ON ", object, " FROM ", account};
                sl_push(&out, concat(parts, 4));
            }
        }
    }
    /* 3. Roles the source does not have, or has without the admin option the target has. */
    for (size_t i = 0; i < h.n && !out.failed; i++) {
        if (h.e[i].object) {
            continue;
        }
        const entry *match = find(&w, NULL, h.e[i].item);
        if (!match || (h.e[i].option && !match->option)) {
            const char *parts[] = {"REVOKE ", h.e[i].item, " FROM ", account};
            sl_push(&out, concat(parts, 4));
        }
    }
    /* 4. Everything the source has (idempotent). */
    for (size_t i = 0; i < nwant && !out.failed; i++) {
        if (strncmp(want[i], "GRANT ", 6) == 0) {
            sl_push(&out, strdup(want[i]));
        }
    }
    entries_free(&w);
    entries_free(&h);
    if (out.failed) {
        rl_grants_free(out.v, out.n);
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    *stmts = out.v;
    *nstmts = out.n;
    return RS_OK;
}
