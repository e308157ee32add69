/* Fuzz target: what lambda/mysql_db.c reads from a MySQL/MariaDB server, behind scripted Connector/C
 * (fuzz_mysql_script.c): the mysql.user rows (hosts, plugin, TLS requirements), the SHOW GRANTS lines it
 * rewrites for the alternating-users clone, the COUNT(*) answer, and the server's error messages, which it
 * scrubs of the passwords in play; plus rl_db_scrub and rl_db_rewrite_grant called directly.
 *
 * Parameters: mode=clone|own|connect|scrub|rewrite, mariadb=0|1, version=N, tls=0|1, from=, to=, host=,
 * password= (the pending one), login= (the current one), sslmode=preferred|required|disabled.
 * Invariants: every call ends (a password "***" made the scrub loop for ever: the point 5 finding, caught as a
 * timeout); rl_db_scrub leaves none of the secrets in the message, raw or escaped, whatever both hold; the
 * statements the code builds are one statement each with every quote closed and no comment, the accounts it
 * creates or changes are the clone's (never the current user's), and a new password travels as a literal that
 * decodes to it exactly; a password whose two ends are '|' (a character the messages do not otherwise hold) is
 * in no error message; every result set is freed; a rewritten grant names the target account. */
#include <mysql.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_mysql_script.h"
#include "mysql_db.h"

typedef struct {
    MYSQL *escaper;               /* a handle for mysql_real_escape_string */
    const char *from, *to, *host, *password, *login;
    char *password_esc, *login_esc;
    char *rows;                   /* every row the script holds */
    size_t rows_len;
    bool clone;
} mysql_ctx;

static char *escape(MYSQL *m, const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(2 * n + 1);
    if (!out) {
        abort();
    }
    mysql_real_escape_string(m, out, s, (unsigned long)n);
    return out;
}

/* MySQL's lexer, as far as the statements built here need it: '...' and "..." with backslash escapes or doubled
 * quotes, `...` with doubled backticks. Fills the decoded '...' literals; false when a quote is left open or a
 * statement separator or comment appears outside quotes. */
#define MAX_LITERALS 8
typedef struct {
    char *text[MAX_LITERALS];
    size_t len[MAX_LITERALS];
    size_t count;
} literals;

static void literals_free(literals *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free(l->text[i]);
    }
    l->count = 0;
}

static bool lex(const char *sql, literals *out)
{
    memset(out, 0, sizeof(*out));
    for (const char *p = sql; *p; p++) {
        if (*p == ';' || *p == '#' || (p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*')) {
            return false;
        }
        if (*p != '\'' && *p != '"' && *p != '`') {
            continue;
        }
        char q = *p;
        size_t n = strlen(p);
        char *buf = malloc(n + 1);
        if (!buf) {
            abort();
        }
        size_t o = 0;
        bool closed = false;
        for (p++; *p; p++) {
            if (*p == q && p[1] == q) {
                buf[o++] = q;
                p++;
            } else if (*p == q) {
                closed = true;
                break;
            } else if (*p == '\\' && q != '`' && p[1]) {
                p++;
                static const char from[] = "0nrZtb", to[] = "\0\n\r\x1a\t\b";
                const char *e = memchr(from, *p, sizeof(from) - 1);
                buf[o++] = e ? to[e - from] : *p;
            } else {
                buf[o++] = *p;
            }
        }
        if (!closed) {
            free(buf);
            return false;
        }
        if (q == '\'' && out->count < MAX_LITERALS) {
            out->text[out->count] = buf;
            out->len[out->count++] = o;
        } else {
            free(buf);
        }
    }
    return true;
}

static bool literal_is(const literals *l, size_t i, const char *s)
{
    return i < l->count && l->len[i] == strlen(s) && memcmp(l->text[i], s, l->len[i]) == 0;
}

static void check_statement(const char *sql, void *ctx_)
{
    mysql_ctx *ctx = ctx_;
    if (getenv("FZ_TRACE")) {
        fprintf(stderr, "SQL: %s\n", sql);  /* seed writing aid; the passwords are the script's own */
    }
    bool replayed_grant = strncmp(sql, "GRANT ", 6) == 0 || strncmp(sql, "SET DEFAULT ROLE ", 17) == 0;
    if (replayed_grant) {
        /* A SHOW GRANTS line rewritten: the server's text, ending with the clone as grantee. */
        FZ_ASSERT(ctx->clone, "grants are replayed only for the clone");
        /* The grantee as the server wrote it (`user`@`host`), or as the grant planner writes it, a literal
         * ('user'@'host', SET DEFAULT ROLE ... FOR). */
        char target[600], literal[600];
        snprintf(target, sizeof(target), " `%s`@`", ctx->to);
        snprintf(literal, sizeof(literal), " '%s'@'", ctx->to);
        FZ_ASSERT(strpbrk(ctx->to, "`'\\") || strstr(sql, target) || strstr(sql, literal),
                  "a replayed grant names the clone");
        return;
    }
    literals l;
    FZ_ASSERT(lex(sql, &l), "a statement built here is one statement, every quote closed, no comment");
    static const char *const changes[] = {"CREATE USER ", "ALTER USER ", "SET PASSWORD FOR "};
    for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
        if (strncmp(sql, changes[i], strlen(changes[i])) == 0) {
            FZ_ASSERT(ctx->clone && literal_is(&l, 0, ctx->to),
                      "an account is created or changed only for the clone, never the current user");
        }
    }
    if (strncmp(sql, "SET PASSWORD", 12) == 0) {
        bool has = false;
        for (size_t i = 0; i < l.count; i++) {
            has |= literal_is(&l, i, ctx->password);
        }
        FZ_ASSERT(has, "a new password travels as a literal that decodes to it exactly");
    }
    literals_free(&l);
}

/* A server repeats what the statement it answers held; a message about a statement without the password cannot
 * know it, so such a message is replaced. (Scrubbing of anything else is checked on rl_db_scrub itself.) */
static void server_error(const char *sql, char *msg, size_t size, void *ctx_)
{
    mysql_ctx *ctx = ctx_;
    const char *secrets[] = {ctx->password, ctx->login, ctx->password_esc, ctx->login_esc};
    for (size_t i = 0; i < 4; i++) {
        if (*secrets[i] && !strstr(sql, secrets[i]) && strstr(msg, secrets[i])) {
            snprintf(msg, size, "Unknown error");
            return;
        }
    }
}

/* A password whose ends are '|' and which holds no '?' (which control characters become in a message) can only
 * be in an error message if the server's text brought it there, unless a name or a row holds it too. */
static bool checkable(const char *s, const mysql_ctx *ctx)
{
    size_t n = strlen(s);
    return n >= 2 && s[0] == '|' && s[n - 1] == '|' && !strchr(s, '?') && !strstr(ctx->from, s) &&
           !strstr(ctx->to, s) && !strstr(ctx->host, s) && !fz_contains(ctx->rows, ctx->rows_len, s, n);
}

static void check_no_secret(const char *text, const mysql_ctx *ctx, bool any)
{
    const char *secrets[] = {ctx->password, ctx->login, ctx->password_esc, ctx->login_esc};
    for (size_t i = 0; i < 4; i++) {
        if (*secrets[i] && (any || checkable(secrets[i], ctx))) {
            FZ_ASSERT(!strstr(text, secrets[i]), "no password in play, raw or escaped, is left in a message");
        }
    }
}

/* The row sections of the script, as one text (rows are data, and a server may hold anything in them). */
static char *rows_text(const fz_script *s, size_t *len)
{
    size_t total = 0;
    for (size_t i = 0; i < s->count; i++) {
        total += fz_span_starts(s->answers[i], "rows") ? s->answers[i].len + 1 : 0;
    }
    char *out = malloc(total + 1);
    if (!out) {
        abort();
    }
    size_t o = 0;
    for (size_t i = 0; i < s->count; i++) {
        if (fz_span_starts(s->answers[i], "rows")) {
            memcpy(out + o, s->answers[i].p, s->answers[i].len);
            o += s->answers[i].len;
            out[o++] = '\n';
        }
    }
    out[o] = '\0';
    *len = o;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_script script;
    fz_script_init(&script, data, size);
    char mode[16], from[100], to[120], host[100], password[300], login[300], info[64], sslmode[16];
    fz_param(&script, "mode", mode, sizeof(mode));
    if (!fz_param(&script, "from", from, sizeof(from))) {
        snprintf(from, sizeof(from), "app");
    }
    if (!fz_param(&script, "to", to, sizeof(to))) {
        snprintf(to, sizeof(to), "%s_clone", from);
    }
    if (!fz_param(&script, "host", host, sizeof(host))) {
        snprintf(host, sizeof(host), "%%");
    }
    if (!fz_param(&script, "password", password, sizeof(password))) {
        snprintf(password, sizeof(password), "|New-pass'1\\|");
    }
    if (!fz_param(&script, "login", login, sizeof(login))) {
        snprintf(login, sizeof(login), "|Old-pass\"0|");
    }
    bool mariadb = fz_param_long(&script, "mariadb", 1, 0, 1) == 1;
    long version = fz_param_long(&script, "version", mariadb ? 101106 : 80036, 0, 999999);
    snprintf(info, sizeof(info), mariadb ? "%ld-MariaDB" : "%ld", version);
    fz_param(&script, "sslmode", sslmode, sizeof(sslmode));
    fz_mysql_server server = {.server_info = info, .server_version = (unsigned long)version,
                              .tls_version = fz_param_long(&script, "tls", 1, 0, 1) ? "TLSv1.3" : NULL};

    enum { CLONE, OWN, CONNECT, SCRUB, REWRITE } m = !strcmp(mode, "own")       ? OWN
                                                    : !strcmp(mode, "connect") ? CONNECT
                                                    : !strcmp(mode, "scrub")   ? SCRUB
                                                    : !strcmp(mode, "rewrite") ? REWRITE
                                                                               : CLONE;
    mysql_ctx ctx = {.escaper = mysql_init(NULL), .from = from, .to = to, .host = host, .password = password,
                     .login = login, .clone = m == CLONE};
    if (!ctx.escaper) {
        abort();
    }
    ctx.password_esc = escape(ctx.escaper, password);
    ctx.login_esc = escape(ctx.escaper, login);
    ctx.rows = rows_text(&script, &ctx.rows_len);
    /* The clone's name must differ from the current user's for "never the current user" to mean something. */
    if (m == CLONE && strcmp(from, to) == 0) {
        goto done;
    }
    fz_mysql_use(&script, &server, check_statement, server_error, &ctx);

    rs_error err;
    rs_error_clear(&err);
    rl_db db;
    memset(&db, 0, sizeof(db));
    db.my = mysql_init(NULL);
    db.is_mariadb = mariadb;
    db.server_version = (unsigned long)version;
    if (m == SCRUB) {
        /* The message is the first answer section; the secrets are the two passwords, whatever they hold. */
        fz_span text = {"", 0};
        fz_script_next(&script, &text);
        size_t cap = (size_t)fz_param_long(&script, "size", 400, 1, 2000);
        char *msg = malloc(cap);
        if (!msg) {
            abort();
        }
        size_t n = text.len < cap - 1 ? text.len : cap - 1;
        memcpy(msg, text.p, n);
        msg[n] = '\0';
        const char *secrets[] = {password, login};
        rl_db_scrub(fz_param_long(&script, "escaped", 1, 0, 1) ? &db : NULL, msg, cap, secrets, 2);
        FZ_ASSERT(memchr(msg, '\0', cap) != NULL, "the message stays NUL-terminated in its buffer");
        FZ_ASSERT(!*password || !strstr(msg, password), "no secret is left in a scrubbed message (raw)");
        FZ_ASSERT(!*login || !strstr(msg, login), "no secret is left in a scrubbed message (raw)");
        if (fz_param_long(&script, "escaped", 1, 0, 1)) {
            check_no_secret(msg, &ctx, true);
        }
        free(msg);
    } else if (m == REWRITE) {
        fz_span line = {"", 0};
        fz_script_next(&script, &line);
        char *text = malloc(line.len + 1);
        if (!text) {
            abort();
        }
        memcpy(text, line.p, line.len);
        text[line.len] = '\0';
        char *out = NULL;
        rs_status st = rl_db_rewrite_grant(text, from, to, host, &out, &err);
        if (st == RS_OK) {
            /* What follows the grantee belonged to the account (password hash, REQUIRE, limits): only a grant
             * option may follow the target now. */
            char target[700];
            snprintf(target, sizeof(target), "`%s`@`%s`", to, host);
            const char *t = strchr(to, '`') || strchr(host, '`') ? NULL : strstr(out, target);
            FZ_ASSERT(out && (strncmp(out, "GRANT ", 6) == 0 || strncmp(out, "SET DEFAULT ROLE ", 17) == 0),
                      "a rewritten line is a GRANT or SET DEFAULT ROLE");
            if (t) {
                while (strstr(t + 1, target)) {
                    t = strstr(t + 1, target);
                }
                const char *after = t + strlen(target);
                FZ_ASSERT(!*after || !strcmp(after, " WITH GRANT OPTION") || !strcmp(after, " WITH ADMIN OPTION"),
                          "a rewritten grant ends with the target account and at most its grant option");
            }
        } else {
            FZ_ASSERT(!out && err.status == st, "a line that cannot be read is an error with nothing kept");
        }
        free(out);
        free(text);
    } else if (m == CONNECT) {
        rl_db_params p = {.host = host, .port = 3306, .user = from, .password = login, .dbname = "appdb",
                          .tls = strcmp(sslmode, "required") == 0   ? RL_TLS_REQUIRED
                                 : strcmp(sslmode, "disabled") == 0 ? RL_TLS_DISABLED
                                                                    : RL_TLS_PREFERRED,
                          .ca_file = "/nonexistent/ca.pem", .verify_host = true, .connect_timeout_s = 1,
                          .query_timeout_s = 1};
        rl_db conn;
        rs_status st = rl_db_connect(&conn, &p, &err);
        if (st == RS_OK) {
            FZ_ASSERT(p.tls != RL_TLS_REQUIRED || conn.tls_version[0], "\"ssl\": true never ends on plain text");
            st = rl_db_ping_query(&conn, &err);
            rl_db_close(&conn);
        }
        if (st != RS_OK) {
            check_no_secret(err.message, &ctx, false);
        }
    } else if (m == OWN) {
        rl_dual dual = RL_DUAL_UNSUPPORTED;
        rs_status st = rl_db_set_own_password(&db, password, login, &dual, &err);
        FZ_ASSERT(dual != RL_DUAL_RETAINED || (st == RS_OK && !mariadb), "dual passwords only on MySQL, after success");
        if (st != RS_OK) {
            check_no_secret(err.message, &ctx, false);
        }
    } else {
        size_t hosts = 0;
        rs_status st = rl_db_sync_clone(&db, from, to, password, &hosts, &err);
        if (st != RS_OK) {
            check_no_secret(err.message, &ctx, false);
        }
    }
    FZ_ASSERT(fz_mysql_open_results() == 0, "every result set is freed");
    FZ_ASSERT(err.status == RS_OK || err.message[0], "a failure says why");
    mysql_close(db.my);
    fz_mysql_use(NULL, NULL, NULL, NULL, NULL);
done:
    free(ctx.rows);
    free(ctx.password_esc);
    free(ctx.login_esc);
    mysql_close(ctx.escaper);
    return 0;
}
