/* AWS Signature Version 4: canonical request, string to sign and signature, in header form
 * (Authorization) and presigned query form (RDS IAM auth tokens). */

/* gmtime_r is POSIX; strict -std=c11 builds hide it otherwise. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_TERMINATOR "aws4_request"
#define SHA256_LEN 32
/* HMAC() takes an int key length; no real secret comes anywhere near this. */
#define MAX_SECRET_LEN 4096
/* The longest validity AWS accepts for a presigned request (7 days). */
#define MAX_PRESIGN_EXPIRES 604800L

static const char HEX_LOWER[] = "0123456789abcdef";
static const char HEX_UPPER[] = "0123456789ABCDEF";

/* ---- growable string buffer ----
 * Buffers may hold a session token or other credentials, so growth never leaves a stale copy
 * behind (no realloc) and every buffer is wiped when dropped. An allocation failure is sticky:
 * appends become no-ops and sb_take reports it. */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} sbuf;

static void sb_wipe(sbuf *b)
{
    if (b->data) {
        OPENSSL_cleanse(b->data, b->cap);
        free(b->data);
    }
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

static bool sb_reserve(sbuf *b, size_t extra)
{
    if (b->failed) {
        return false;
    }
    if (extra >= SIZE_MAX - b->len) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap) {
        return true;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    }
    char *data = malloc(cap);
    if (!data) {
        b->failed = true;
        return false;
    }
    if (b->data) {
        memcpy(data, b->data, b->len);
        OPENSSL_cleanse(b->data, b->cap);
        free(b->data);
    }
    data[b->len] = '\0';
    b->data = data;
    b->cap = cap;
    return true;
}

static void sb_append(sbuf *b, const char *s, size_t n)
{
    if (n == 0 || !sb_reserve(b, n)) {
        return;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_append(b, s, strlen(s));
}

static void sb_putc(sbuf *b, char c)
{
    sb_append(b, &c, 1);
}

/* Hand the string over to the caller (never NULL unless an allocation failed). */
static char *sb_take(sbuf *b)
{
    if (!b->failed && !b->data) {
        sb_reserve(b, 0);
    }
    if (b->failed) {
        sb_wipe(b);
        return NULL;
    }
    char *s = b->data;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return s;
}

static void wipe_free_str(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

/* ---- encoding helpers ---- */

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

static void sb_uri_encode(sbuf *b, const unsigned char *s, size_t n, bool encode_slash)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (is_unreserved(c) || (c == '/' && !encode_slash)) {
            sb_putc(b, (char)c);
        } else {
            char esc[3] = {'%', HEX_UPPER[c >> 4], HEX_UPPER[c & 0x0f]};
            sb_append(b, esc, sizeof(esc));
        }
    }
}

char *rs_uri_encode(const char *s, size_t len, bool encode_slash)
{
    if (!s && len > 0) {
        return NULL;
    }
    sbuf b = {0};
    sb_uri_encode(&b, (const unsigned char *)s, len, encode_slash);
    return sb_take(&b);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decode %XX escapes; a '%' not followed by two hex digits stays literal (the suite's
 * post-vanilla-query-nonunreserved expects "%^" to become "%25%5E"). '+' is not a space here:
 * SigV4 is URI encoding, not form encoding. */
static void sb_pct_decode(sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hex_value(s[i + 1])) >= 0 &&
            (lo = hex_value(s[i + 2])) >= 0) {
            sb_putc(b, (char)((hi << 4) | lo));
            i += 2;
        } else {
            sb_putc(b, s[i]);
        }
    }
}

static bool sha256_raw(const void *data, size_t len, unsigned char out[SHA256_LEN])
{
    unsigned int out_len = 0;
    static const unsigned char empty = 0;
    if (!data) {
        data = &empty; /* EVP_Digest wants a valid pointer even for zero bytes */
    }
    return EVP_Digest(data, len, out, &out_len, EVP_sha256(), NULL) == 1 && out_len == SHA256_LEN;
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX_LOWER[in[i] >> 4];
        out[2 * i + 1] = HEX_LOWER[in[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

void rs_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[SHA256_LEN];
    if (!sha256_raw(data, len, md)) {
        out[0] = '\0';
        return;
    }
    to_hex(md, sizeof(md), out);
}

/* ---- dates ---- */

static bool utc_tm(time_t t, struct tm *tm)
{
    /* The scope needs a four-digit year; times before the epoch are never a real signing time. */
    if (t < 0) {
        return false;
    }
#ifdef _WIN32
    if (gmtime_s(tm, &t) != 0) {
        return false;
    }
#else
    if (!gmtime_r(&t, tm)) {
        return false;
    }
#endif
    return tm->tm_year + 1900 <= 9999;
}

void rs_sigv4_format_amz_date(time_t t, char out[17])
{
    struct tm tm;
    if (!utc_tm(t, &tm) || strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16) {
        /* Unrepresentable: an obviously invalid date rather than garbage. rs_sigv4_sign rejects such times. */
        memcpy(out, "00000000T000000Z", 17);
    }
}

/* ---- canonical request parts ---- */

/* Canonical URI. With normalization (every service but S3), dot segments are removed as in
 * RFC 3986 5.2.4 and empty segments dropped. Each segment is then URI-encoded once more: the
 * path is taken as given, so a wire path "/a%20b" becomes "/a%2520b" (AWS's "double encoding"
 * for non-S3 services), while the suite's raw "/example space/" becomes "/example%20space/". */
static void canonical_uri(sbuf *out, const char *path, bool normalize)
{
    if (!path || !*path) {
        sb_putc(out, '/');
        return;
    }
    if (!normalize) {
        if (path[0] != '/') {
            sb_putc(out, '/');
        }
        sb_uri_encode(out, (const unsigned char *)path, strlen(path), false);
        return;
    }

    size_t max_segments = 1;
    for (const char *p = path; *p; p++) {
        max_segments += (*p == '/');
    }
    const char **seg = malloc(max_segments * sizeof(*seg));
    size_t *seg_len = malloc(max_segments * sizeof(*seg_len));
    if (!seg || !seg_len) {
        free(seg);
        free(seg_len);
        out->failed = true;
        return;
    }

    size_t count = 0;
    const char *p = path;
    for (;;) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (count > 0) {
                count--;
            }
        } else if (n > 0 && !(n == 1 && p[0] == '.')) { /* "//" and "/./" add nothing */
            seg[count] = p;
            seg_len[count] = n;
            count++;
        }
        if (!end) {
            break;
        }
        p = end + 1;
    }
    /* As in RFC 3986, a path ending in "/", "/." or "/.." names a directory and keeps a final slash. */
    const char *last = strrchr(path, '/');
    last = last ? last + 1 : path;
    bool trailing_slash = !*last || strcmp(last, ".") == 0 || strcmp(last, "..") == 0;

    sb_putc(out, '/');
    for (size_t i = 0; i < count; i++) {
        if (i > 0) {
            sb_putc(out, '/');
        }
        sb_uri_encode(out, (const unsigned char *)seg[i], seg_len[i], true);
    }
    if (count > 0 && trailing_slash) {
        sb_putc(out, '/');
    }
    free(seg);
    free(seg_len);
}

typedef struct {
    char *key;   /* canonically encoded */
    char *value; /* canonically encoded */
} query_param;

static int compare_params(const void *a, const void *b)
{
    const query_param *pa = a;
    const query_param *pb = b;
    int c = strcmp(pa->key, pb->key);
    return c ? c : strcmp(pa->value, pb->value);
}

static char *encode_component(const char *s, size_t n)
{
    sbuf raw = {0};
    sb_pct_decode(&raw, s, n);
    if (raw.failed) {
        sb_wipe(&raw);
        return NULL;
    }
    char *enc = rs_uri_encode(raw.data ? raw.data : "", raw.len, true);
    sb_wipe(&raw);
    return enc;
}

/* Canonical query string: each key and value decoded then re-encoded, so callers may pass
 * either wire form or raw text; pairs sorted by key then value; "k" alone means "k=". */
static void canonical_query(sbuf *out, const char *query)
{
    if (!query || !*query) {
        return;
    }
    size_t max_params = 1;
    for (const char *p = query; *p; p++) {
        max_params += (*p == '&');
    }
    query_param *params = calloc(max_params, sizeof(*params));
    if (!params) {
        out->failed = true;
        return;
    }

    size_t count = 0;
    bool ok = true;
    const char *p = query;
    for (;;) {
        const char *end = strchr(p, '&');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > 0) { /* "a&&b" has no empty parameter to sign */
            const char *eq = memchr(p, '=', n);
            size_t key_len = eq ? (size_t)(eq - p) : n;
            params[count].key = encode_component(p, key_len);
            params[count].value = eq ? encode_component(eq + 1, n - key_len - 1) : rs_uri_encode("", 0, true);
            count++;
            if (!params[count - 1].key || !params[count - 1].value) {
                ok = false;
                break;
            }
        }
        if (!end) {
            break;
        }
        p = end + 1;
    }

    if (ok) {
        qsort(params, count, sizeof(*params), compare_params);
        for (size_t i = 0; i < count; i++) {
            if (i > 0) {
                sb_putc(out, '&');
            }
            sb_puts(out, params[i].key);
            sb_putc(out, '=');
            sb_puts(out, params[i].value);
        }
    } else {
        out->failed = true;
    }
    for (size_t i = 0; i < count; i++) {
        wipe_free_str(params[i].key);
        wipe_free_str(params[i].value);
    }
    free(params);
}

typedef struct {
    char *name;        /* lowercased copy */
    const char *value; /* caller's text, trimmed when written */
    size_t order;      /* position in the request: duplicates keep it */
} header_entry;

static int compare_headers(const void *a, const void *b)
{
    const header_entry *ha = a;
    const header_entry *hb = b;
    int c = strcmp(ha->name, hb->name);
    if (c) {
        return c;
    }
    return ha->order < hb->order ? -1 : ha->order > hb->order;
}

static bool is_header_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Value with leading and trailing blanks removed and each run of blanks made one space. */
static void sb_trimmed_value(sbuf *out, const char *v)
{
    bool pending = false;
    bool started = false;
    for (; *v; v++) {
        if (is_header_space(*v)) {
            pending = started;
            continue;
        }
        if (pending) {
            sb_putc(out, ' ');
            pending = false;
        }
        sb_putc(out, *v);
        started = true;
    }
}

static bool header_name_ok(const char *name)
{
    if (!*name) {
        return false;
    }
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f || *p == ':') {
            return false;
        }
    }
    return true;
}

static bool header_value_ok(const char *value)
{
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
            return false; /* CR/LF would split the header on the wire */
        }
    }
    return true;
}

/* Writes the canonical header block ("name:value\n" each) and the signed header list. */
static rs_status canonical_headers(sbuf *block, sbuf *signed_list, const rs_header *headers,
                                   size_t count, rs_error *err)
{
    if (count == 0 || !headers) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: the request has no headers (Host is required)");
    }
    if (count > SIZE_MAX / sizeof(header_entry)) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: too many headers");
    }
    header_entry *entries = calloc(count, sizeof(*entries));
    if (!entries) {
        return rs_error_set(err, RS_ERR_INTERNAL, "sigv4: out of memory");
    }

    rs_status st = RS_OK;
    bool has_host = false;
    for (size_t i = 0; i < count && st == RS_OK; i++) {
        const char *name = headers[i].name;
        const char *value = headers[i].value;
        if (!name || !value) {
            st = rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: header %zu has no name or no value", i);
        } else if (!header_name_ok(name)) {
            st = rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: header %zu has an invalid name", i);
        } else if (!header_value_ok(value)) {
            /* The value is not quoted: it may be a token. */
            st = rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: header '%.64s' has a control character in its value", name);
        } else {
            size_t n = strlen(name);
            entries[i].name = malloc(n + 1);
            if (!entries[i].name) {
                st = rs_error_set(err, RS_ERR_INTERNAL, "sigv4: out of memory");
                break;
            }
            for (size_t j = 0; j <= n; j++) {
                char c = name[j];
                entries[i].name[j] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
            }
            entries[i].value = value;
            entries[i].order = i;
            has_host = has_host || strcmp(entries[i].name, "host") == 0;
        }
    }
    if (st == RS_OK && !has_host) {
        st = rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: the Host header is required");
    }

    if (st == RS_OK) {
        qsort(entries, count, sizeof(*entries), compare_headers);
        for (size_t i = 0; i < count; i++) {
            bool same_as_previous = i > 0 && strcmp(entries[i].name, entries[i - 1].name) == 0;
            if (same_as_previous) {
                /* Repeated headers: one line, values in the order they were given. */
                sb_putc(block, ',');
            } else {
                if (i > 0) {
                    sb_putc(block, '\n');
                    sb_putc(signed_list, ';');
                }
                sb_puts(block, entries[i].name);
                sb_putc(block, ':');
                sb_puts(signed_list, entries[i].name);
            }
            sb_trimmed_value(block, entries[i].value);
        }
        sb_putc(block, '\n');
        if (block->failed || signed_list->failed) {
            st = rs_error_set(err, RS_ERR_INTERNAL, "sigv4: out of memory");
        }
    }

    for (size_t i = 0; i < count; i++) {
        free(entries[i].name);
    }
    free(entries);
    return st;
}

/* ---- signing key and signature ---- */

static bool hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                        unsigned char out[SHA256_LEN])
{
    unsigned int out_len = 0;
    static const unsigned char empty = 0;
    if (key_len > MAX_SECRET_LEN + 4) {
        return false;
    }
    return HMAC(EVP_sha256(), key, (int)key_len, len ? data : &empty, len, out, &out_len) != NULL &&
           out_len == SHA256_LEN;
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request");
 * signature = hex(HMAC(kSigning, string_to_sign)). Every intermediate key is wiped. */
static bool compute_signature(const char *secret, const char *date, const char *region,
                              const char *service, const char *sts, char out_hex[65])
{
    size_t secret_len = strlen(secret);
    unsigned char k_secret[4 + MAX_SECRET_LEN];
    unsigned char k_a[SHA256_LEN];
    unsigned char k_b[SHA256_LEN];
    unsigned char sig[SHA256_LEN];
    bool ok = false;

    if (secret_len > MAX_SECRET_LEN) {
        return false;
    }
    memcpy(k_secret, "AWS4", 4);
    memcpy(k_secret + 4, secret, secret_len);

    if (hmac_sha256(k_secret, 4 + secret_len, date, strlen(date), k_a) &&
        hmac_sha256(k_a, SHA256_LEN, region, strlen(region), k_b) &&
        hmac_sha256(k_b, SHA256_LEN, service, strlen(service), k_a) &&
        hmac_sha256(k_a, SHA256_LEN, SIGV4_TERMINATOR, strlen(SIGV4_TERMINATOR), k_b) &&
        hmac_sha256(k_b, SHA256_LEN, sts, strlen(sts), sig)) {
        to_hex(sig, SHA256_LEN, out_hex);
        ok = true;
    }
    OPENSSL_cleanse(k_secret, 4 + secret_len);
    OPENSSL_cleanse(k_a, sizeof(k_a));
    OPENSSL_cleanse(k_b, sizeof(k_b));
    OPENSSL_cleanse(sig, sizeof(sig));
    return ok;
}

/* ---- validation ---- */

static bool is_empty(const char *s)
{
    return !s || !*s;
}

/* Region, service and access key id end up inside "AK/date/region/service/aws4_request" and the
 * Authorization header, where '/', ',', '=' or blanks would change the meaning. */
static bool scope_token_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (!is_unreserved(*p)) {
            return false;
        }
    }
    return true;
}

static rs_status check_credentials_and_scope(const rs_sigv4_credentials *creds, const rs_sigv4_scope *scope,
                                             rs_error *err)
{
    if (!creds) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: no credentials given");
    }
    if (!scope) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: no signing scope given");
    }
    if (is_empty(creds->access_key_id)) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: the access key id is empty");
    }
    if (!scope_token_ok(creds->access_key_id)) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER,
                            "sigv4: the access key id has characters outside A-Z a-z 0-9 - _ . ~");
    }
    if (is_empty(creds->secret_access_key)) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: the secret access key is empty");
    }
    if (strlen(creds->secret_access_key) > MAX_SECRET_LEN) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: the secret access key is too long");
    }
    if (is_empty(scope->region)) {
        return rs_error_set(err, RS_ERR_CONFIG, "sigv4: the region is empty");
    }
    if (!scope_token_ok(scope->region)) {
        return rs_error_set(err, RS_ERR_CONFIG, "sigv4: invalid region '%.64s'", scope->region);
    }
    if (is_empty(scope->service)) {
        return rs_error_set(err, RS_ERR_CONFIG, "sigv4: the service name is empty");
    }
    if (!scope_token_ok(scope->service)) {
        return rs_error_set(err, RS_ERR_CONFIG, "sigv4: invalid service name '%.64s'", scope->service);
    }
    struct tm tm;
    if (!utc_tm(scope->timestamp, &tm)) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: the signing time is out of range");
    }
    return RS_OK;
}

/* ---- header form ---- */

/* Signs req into out. When query_out is given, the canonical query string is also copied there
 * (the presigned form reuses it as the URL's query). */
static rs_status sign_request(const rs_sigv4_request *req, const rs_sigv4_credentials *creds,
                              const rs_sigv4_scope *scope, rs_sigv4_result *out, sbuf *query_out,
                              rs_error *err)
{
    if (!out) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: no result to fill");
    }
    memset(out, 0, sizeof(*out));
    if (!req) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: no request given");
    }
    rs_status st = check_credentials_and_scope(creds, scope, err);
    if (st != RS_OK) {
        return st;
    }
    if (is_empty(req->method) || !header_name_ok(req->method)) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: the request method is missing or invalid");
    }
    if (!req->body && req->body_len > 0) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: body length given without a body");
    }

    sbuf headers = {0}, signed_list = {0}, query = {0}, creq = {0}, sts = {0}, authz = {0};
    char scope_text[128];
    char date[9];
    char payload_hash[65];
    char creq_hash[65];

    rs_sigv4_format_amz_date(scope->timestamp, out->amz_date);
    memcpy(date, out->amz_date, 8);
    date[8] = '\0';
    int n = snprintf(scope_text, sizeof(scope_text), "%s/%s/%s/" SIGV4_TERMINATOR, date, scope->region,
                     scope->service);
    if (n < 0 || (size_t)n >= sizeof(scope_text)) {
        st = rs_error_set(err, RS_ERR_CONFIG, "sigv4: region or service name too long");
        goto done;
    }

    st = canonical_headers(&headers, &signed_list, req->headers, req->header_count, err);
    if (st != RS_OK) {
        goto done;
    }
    canonical_query(&query, req->query);
    rs_sha256_hex(req->body, req->body_len, payload_hash);

    sb_puts(&creq, req->method);
    sb_putc(&creq, '\n');
    canonical_uri(&creq, req->path, scope->normalize_path);
    sb_putc(&creq, '\n');
    sb_append(&creq, query.data ? query.data : "", query.len);
    sb_putc(&creq, '\n');
    sb_append(&creq, headers.data ? headers.data : "", headers.len);
    sb_putc(&creq, '\n');
    sb_append(&creq, signed_list.data ? signed_list.data : "", signed_list.len);
    sb_putc(&creq, '\n');
    sb_puts(&creq, payload_hash);
    if (creq.failed || query.failed || !payload_hash[0]) {
        st = rs_error_set(err, RS_ERR_INTERNAL, "sigv4: out of memory or digest failure");
        goto done;
    }

    rs_sha256_hex(creq.data, creq.len, creq_hash);
    sb_puts(&sts, SIGV4_ALGORITHM "\n");
    sb_puts(&sts, out->amz_date);
    sb_putc(&sts, '\n');
    sb_puts(&sts, scope_text);
    sb_putc(&sts, '\n');
    sb_puts(&sts, creq_hash);
    if (sts.failed || !creq_hash[0]) {
        st = rs_error_set(err, RS_ERR_INTERNAL, "sigv4: out of memory or digest failure");
        goto done;
    }

    if (!compute_signature(creds->secret_access_key, date, scope->region, scope->service, sts.data,
                           out->signature)) {
        st = rs_error_set(err, RS_ERR_INTERNAL, "sigv4: HMAC-SHA256 failed");
        goto done;
    }

    sb_puts(&authz, SIGV4_ALGORITHM " Credential=");
    sb_puts(&authz, creds->access_key_id);
    sb_putc(&authz, '/');
    sb_puts(&authz, scope_text);
    sb_puts(&authz, ", SignedHeaders=");
    sb_append(&authz, signed_list.data ? signed_list.data : "", signed_list.len);
    sb_puts(&authz, ", Signature=");
    sb_puts(&authz, out->signature);

    if (query_out) {
        sb_append(query_out, query.data ? query.data : "", query.len);
    }
    out->canonical_request = sb_take(&creq);
    out->string_to_sign = sb_take(&sts);
    out->authorization = sb_take(&authz);
    if (!out->canonical_request || !out->string_to_sign || !out->authorization ||
        (query_out && query_out->failed)) {
        st = rs_error_set(err, RS_ERR_INTERNAL, "sigv4: out of memory");
    }

done:
    sb_wipe(&headers);
    sb_wipe(&signed_list);
    sb_wipe(&query);
    sb_wipe(&creq);
    sb_wipe(&sts);
    sb_wipe(&authz);
    if (st != RS_OK) {
        rs_sigv4_result_free(out);
    }
    return st;
}

rs_status rs_sigv4_sign(const rs_sigv4_request *req, const rs_sigv4_credentials *creds,
                        const rs_sigv4_scope *scope, rs_sigv4_result *out, rs_error *err)
{
    return sign_request(req, creds, scope, out, NULL, err);
}

void rs_sigv4_result_free(rs_sigv4_result *res)
{
    if (!res) {
        return;
    }
    wipe_free_str(res->canonical_request);
    wipe_free_str(res->string_to_sign);
    wipe_free_str(res->authorization);
    OPENSSL_cleanse(res, sizeof(*res));
    memset(res, 0, sizeof(*res)); /* NULL pointers, whatever the representation */
}

/* ---- presigned (query) form ---- */

/* host[:port] goes verbatim into both the URL and the signed Host header. */
static bool presign_host_ok(const char *host)
{
    for (const unsigned char *p = (const unsigned char *)host; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f || *p == '/' || *p == '?' || *p == '#' || *p == '@') {
            return false;
        }
    }
    return true;
}

rs_status rs_sigv4_presign(const char *host, const char *path, const char *query,
                           long expires_seconds, const rs_sigv4_credentials *creds,
                           const rs_sigv4_scope *scope, char **out_url, rs_error *err)
{
    if (!out_url) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: no place for the presigned URL");
    }
    *out_url = NULL;
    if (is_empty(host) || !presign_host_ok(host)) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: the host is missing or invalid");
    }
    if (expires_seconds < 1 || expires_seconds > MAX_PRESIGN_EXPIRES) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "sigv4: expiry must be 1 to %ld seconds, got %ld",
                            MAX_PRESIGN_EXPIRES, expires_seconds);
    }
    rs_status st = check_credentials_and_scope(creds, scope, err);
    if (st != RS_OK) {
        return st;
    }

    char amz_date[17];
    char expires_text[24];
    rs_sigv4_format_amz_date(scope->timestamp, amz_date);
    snprintf(expires_text, sizeof(expires_text), "%ld", expires_seconds);

    /* The auth parameters join the request's own; all are then canonicalized (sorted) together,
     * and that canonical string is both what is signed and what goes into the URL. */
    sbuf full_query = {0}, canonical = {0}, url = {0};
    sb_puts(&full_query, query ? query : "");
    sb_puts(&full_query, "&X-Amz-Algorithm=" SIGV4_ALGORITHM "&X-Amz-Credential=");
    sb_puts(&full_query, creds->access_key_id);
    sb_puts(&full_query, "%2F");
    sb_append(&full_query, amz_date, 8);
    sb_puts(&full_query, "%2F");
    sb_puts(&full_query, scope->region);
    sb_puts(&full_query, "%2F");
    sb_puts(&full_query, scope->service);
    sb_puts(&full_query, "%2F" SIGV4_TERMINATOR "&X-Amz-Date=");
    sb_puts(&full_query, amz_date);
    sb_puts(&full_query, "&X-Amz-Expires=");
    sb_puts(&full_query, expires_text);
    if (!is_empty(creds->session_token)) {
        sb_puts(&full_query, "&X-Amz-Security-Token=");
        sb_uri_encode(&full_query, (const unsigned char *)creds->session_token, strlen(creds->session_token), true);
    }
    sb_puts(&full_query, "&X-Amz-SignedHeaders=host");
    if (full_query.failed) {
        sb_wipe(&full_query);
        return rs_error_set(err, RS_ERR_INTERNAL, "sigv4: out of memory");
    }

    const rs_header host_header = {"Host", host};
    const rs_sigv4_request req = {
        .method = "GET",
        .path = is_empty(path) ? "/" : path,
        .query = full_query.data,
        .headers = &host_header,
        .header_count = 1,
        .body = NULL,
        .body_len = 0,
    };
    rs_sigv4_result res;
    st = sign_request(&req, creds, scope, &res, &canonical, err);
    if (st == RS_OK) {
        sb_puts(&url, host);
        sb_puts(&url, req.path);
        sb_putc(&url, '?');
        sb_append(&url, canonical.data ? canonical.data : "", canonical.len);
        sb_puts(&url, "&X-Amz-Signature=");
        sb_puts(&url, res.signature);
        *out_url = sb_take(&url);
        if (!*out_url) {
            st = rs_error_set(err, RS_ERR_INTERNAL, "sigv4: out of memory");
        }
        rs_sigv4_result_free(&res);
    }
    sb_wipe(&full_query);
    sb_wipe(&canonical);
    sb_wipe(&url);
    return st;
}

rs_status rs_sigv4_rds_auth_token(const char *host, int port, const char *db_user,
                                  const rs_sigv4_credentials *creds, const char *region,
                                  time_t timestamp, char **out_token, rs_error *err)
{
    return rs_sigv4_rds_auth_token_expiring(host, port, db_user, creds, region, timestamp, 900, out_token, err);
}

rs_status rs_sigv4_rds_auth_token_expiring(const char *host, int port, const char *db_user,
                                           const rs_sigv4_credentials *creds, const char *region, time_t timestamp,
                                           long expires_seconds, char **out_token, rs_error *err)
{
    if (!out_token) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "rds token: no place for the token");
    }
    *out_token = NULL;
    if (is_empty(host) || !presign_host_ok(host)) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "rds token: the database host is missing or invalid");
    }
    if (port < 1 || port > 65535) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "rds token: port %d is out of range", port);
    }
    if (is_empty(db_user)) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "rds token: the database user is empty");
    }

    sbuf host_port = {0}, query = {0};
    char port_text[8];
    snprintf(port_text, sizeof(port_text), ":%d", port);
    sb_puts(&host_port, host);
    sb_puts(&host_port, port_text);
    /* Encoded here so that presign's decode-then-encode gives back the user name exactly,
     * whatever it contains ('%', '&', '=', ...). */
    sb_puts(&query, "Action=connect&DBUser=");
    sb_uri_encode(&query, (const unsigned char *)db_user, strlen(db_user), true);

    rs_status st;
    if (host_port.failed || query.failed) {
        st = rs_error_set(err, RS_ERR_INTERNAL, "rds token: out of memory");
    } else {
        const rs_sigv4_scope scope = {
            .region = region,
            .service = "rds-db",
            .timestamp = timestamp,
            .normalize_path = true,
        };
        st = rs_sigv4_presign(host_port.data, "/", query.data, expires_seconds, creds, &scope, out_token, err);
    }
    sb_wipe(&host_port);
    sb_wipe(&query);
    return st;
}
