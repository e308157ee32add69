/* Parsing the database secret JSON into string fields. cJSON validates the text; the members' raw text is
 * then taken from the document itself, so numbers come back exactly as written. */
#include "secret.h"

#include <cJSON.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void wipe_free(char *s, size_t len)
{
    if (s) {
        OPENSSL_cleanse(s, len);
        free(s);
    }
}

void rs_secret_fields_free(rs_secret_fields *f)
{
    for (size_t i = 0; i < f->count; i++) {
        free(f->fields[i].key);
        wipe_free(f->fields[i].value, f->fields[i].value_len);
    }
    free(f->fields);
    f->fields = NULL;
    f->count = 0;
}

const rs_secret_field *rs_secret_fields_get(const rs_secret_fields *f, const char *key)
{
    for (size_t i = 0; i < f->count; i++) {
        if (strcmp(f->fields[i].key, key) == 0) {
            return &f->fields[i];
        }
    }
    return NULL;
}

static bool is_hex_digit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool rs_json_has_escaped_nul(const char *text, size_t len)
{
    /* "\u0000" is an escape only when its backslash is not itself escaped: an odd run of backslashes. cJSON
     * (1.7.15) also decodes a \u escape whose four characters are not all hex digits ("\u00zz") as U+0000,
     * so that is an escaped NUL too. */
    for (size_t i = 0; i + 6 <= len; i++) {
        if (text[i] != '\\' || text[i + 1] != 'u') {
            continue;
        }
        const char *h = text + i + 2;
        bool nul = memcmp(h, "0000", 4) == 0 || !is_hex_digit(h[0]) || !is_hex_digit(h[1]) || !is_hex_digit(h[2]) ||
                   !is_hex_digit(h[3]);
        if (!nul) {
            continue;
        }
        size_t run = 1;
        while (run <= i && text[i - run] == '\\') {
            run++;
        }
        if (run % 2 == 1) {
            return true;
        }
    }
    return false;
}

static bool is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* cJSON takes every byte up to 0x20, NUL included, for whitespace between tokens, where JSON (RFC 8259) allows
 * only space, tab, CR and LF: a text with any other control character outside its strings is not a JSON object
 * (Python's json and the AWS console refuse it too), and the member splitting below would not agree with cJSON. */
static bool only_json_space_between_tokens(const char *s, size_t n)
{
    bool in_string = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\') {
                i++;  /* the escaped character */
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if ((unsigned char)c < 0x20 && !is_json_space(c)) {
            return false;
        }
    }
    return true;
}

static size_t skip_space(const char *s, size_t i, size_t n)
{
    while (i < n && is_json_space(s[i])) {
        i++;
    }
    return i;
}

/* s[i] is the opening quote of a string: the index just past its closing quote, or n + 1 when unterminated. */
static size_t skip_string(const char *s, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\') {
            i++;
        } else if (s[i] == '"') {
            return i + 1;
        }
    }
    return n + 1;
}

/* The index just past the JSON value starting at s[i]; n + 1 when it runs past the end. The text has been
 * validated by cJSON already: this only has to find where each value ends. */
static size_t skip_value(const char *s, size_t i, size_t n)
{
    if (i >= n) {
        return n + 1;
    }
    if (s[i] == '"') {
        return skip_string(s, i, n);
    }
    if (s[i] == '{' || s[i] == '[') {
        size_t depth = 0;
        while (i < n) {
            char c = s[i];
            if (c == '"') {
                i = skip_string(s, i, n);
                continue;
            }
            if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) {
                    return i + 1;
                }
            }
            i++;
        }
        return n + 1;
    }
    while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && !is_json_space(s[i])) {
        i++;
    }
    return i;
}

typedef struct {
    const char *p;
    size_t len;
} raw_span;

/* The raw text of each member value of the top-level object in s, in document order. false when the
 * text does not have the shape a validated object has (cannot happen after cJSON accepted it). */
static bool member_spans(const char *s, size_t n, raw_span *spans, size_t expected)
{
    size_t i = skip_space(s, 0, n), count = 0;
    if (i >= n || s[i] != '{') {
        return false;
    }
    i = skip_space(s, i + 1, n);
    if (i < n && s[i] == '}') {
        return expected == 0;
    }
    while (i < n) {
        if (s[i] != '"' || (i = skip_string(s, i, n)) > n) {
            return false;
        }
        i = skip_space(s, i, n);
        if (i >= n || s[i] != ':') {
            return false;
        }
        i = skip_space(s, i + 1, n);
        size_t start = i;
        if ((i = skip_value(s, i, n)) > n || count >= expected) {
            return false;
        }
        spans[count++] = (raw_span){s + start, i - start};
        i = skip_space(s, i, n);
        if (i < n && s[i] == ',') {
            i = skip_space(s, i + 1, n);
            continue;
        }
        return i < n && s[i] == '}' && count == expected;
    }
    return false;
}

static char *dup_bytes(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

/* Raw JSON without the whitespace between tokens (strings kept byte for byte). */
static char *compact_raw(raw_span r, size_t *len)
{
    char *out = malloc(r.len + 1);
    if (!out) {
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < r.len; i++) {
        if (r.p[i] == '"') {
            size_t end = skip_string(r.p, i, r.len);
            if (end > r.len) {
                end = r.len;
            }
            memcpy(out + o, r.p + i, end - i);
            o += end - i;
            i = end - 1;
        } else if (!is_json_space(r.p[i])) {
            out[o++] = r.p[i];
        }
    }
    out[o] = '\0';
    *len = o;
    return out;
}

/* The member's value as text: strings unescaped, null as "", everything else as written (compacted). */
static char *member_text(const cJSON *item, raw_span raw, size_t *len)
{
    if (cJSON_IsString(item)) {
        *len = strlen(item->valuestring);
        return dup_bytes(item->valuestring, *len);
    }
    if (cJSON_IsNull(item)) {
        *len = 0;
        return dup_bytes("", 0);
    }
    return compact_raw(raw, len);
}

static rs_status plain_secret(const char *secret, size_t len, rs_secret_fields *out, rs_error *err)
{
    out->fields = calloc(1, sizeof(rs_secret_field));
    if (!out->fields || !(out->fields[0].key = strdup("password")) ||
        !(out->fields[0].value = dup_bytes(secret, len))) {
        if (out->fields) {
            free(out->fields[0].key);
        }
        free(out->fields);
        out->fields = NULL;
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    out->fields[0].value_len = len;
    out->count = 1;
    return RS_OK;
}

/* A key for a message: printable ASCII, bounded (keys are names, never values, but stay careful). */
static void printable_key(const char *key, char *out, size_t out_len)
{
    size_t j = 0;
    for (size_t i = 0; key[i] && j + 1 < out_len; i++) {
        unsigned char c = (unsigned char)key[i];
        out[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[j] = '\0';
}

rs_status rs_secret_fields_parse(const char *secret, size_t len, rs_secret_fields *out, rs_error *err)
{
    out->fields = NULL;
    out->count = 0;
    const char *end = NULL;
    cJSON *json = cJSON_ParseWithLengthOpts(secret, len, &end, false);
    /* Strict: the object must be the whole text. "{}Xq7#pL" is a plain password that happens to start with
     * an object, not an empty object followed by noise; so is a text with control characters between its
     * tokens. */
    bool whole = json && end && skip_space(secret, (size_t)(end - secret), len) == len;
    if (!cJSON_IsObject(json) || !whole || !only_json_space_between_tokens(secret, len)) {
        cJSON_Delete(json);
        return plain_secret(secret, len, out, err);
    }
    /* Past the check above a raw NUL can only be inside a string, where cJSON keeps it and C cuts the value. */
    if (rs_json_has_escaped_nul(secret, len) || memchr(secret, '\0', len)) {
        cJSON_Delete(json);
        return rs_error_set(err, RS_ERR_MALFORMED, "the secret's JSON holds a NUL character (\\u0000, a raw NUL or "
                                                   "an invalid \\u escape), which cannot be returned intact");
    }
    size_t n = (size_t)cJSON_GetArraySize(json);
    raw_span *spans = n ? calloc(n, sizeof(raw_span)) : NULL;
    out->fields = n ? calloc(n, sizeof(rs_secret_field)) : NULL;
    if (n && (!spans || !out->fields)) {
        free(spans);
        free(out->fields);
        out->fields = NULL;
        cJSON_Delete(json);
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    if (!member_spans(secret, len, spans, n)) {
        free(spans);
        free(out->fields);
        out->fields = NULL;
        cJSON_Delete(json);
        return rs_error_set(err, RS_ERR_INTERNAL, "the secret's JSON could not be split into its members");
    }
    const cJSON *item;
    rs_status st = RS_OK;
    size_t index = 0;
    cJSON_ArrayForEach(item, json) {
        if (rs_secret_fields_get(out, item->string)) {
            /* JSON readers disagree on duplicates (most keep the last, some the first): a secret whose meaning
             * depends on the reader is refused, here and in the rotation function alike. */
            char key[68];
            printable_key(item->string, key, sizeof(key));
            st = rs_error_set(err, RS_ERR_MALFORMED, "the secret's JSON has the key \"%s\" more than once; "
                                                     "remove the duplicates", key);
            break;
        }
        size_t value_len = 0;
        char *value = member_text(item, spans[index++], &value_len);
        rs_secret_field *f = &out->fields[out->count];
        f->key = value ? strdup(item->string) : NULL;
        if (!f->key) {
            wipe_free(value, value_len);
            st = rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
            break;
        }
        f->value = value;
        f->value_len = value_len;
        out->count++;
    }
    for (size_t i = 0; i < n; i++) {
        OPENSSL_cleanse(&spans[i], sizeof(spans[i]));
    }
    free(spans);
    cJSON_Delete(json);
    if (st != RS_OK) {
        rs_secret_fields_free(out);
    }
    return st;
}
