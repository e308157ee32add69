/* Fuzz target: SigV4 canonicalisation and signing of arbitrary requests (rs_sigv4_sign), the presigned form
 * behind RDS IAM tokens (rs_sigv4_rds_auth_token) and rs_uri_encode.
 *
 * Input: parameters (method=, path=, query=, region=, service=, time= (epoch seconds), raw=1 (no path
 * normalisation), key=, secret=, host=, port=, user=), then the headers ("Name: value" a line), then the body.
 * Invariants: signing is deterministic; a signature is 64 lowercase hex; the Authorization and string to sign
 * are exactly what the canonical request, the scope and the signature make; the canonical request has its six
 * parts, header names lowercase and sorted, the signed headers those names, the payload hash that of the body;
 * the signature does not change when the headers are reordered (duplicates keeping their order), when their
 * names change case, or when the query's parameters are reversed; an RDS token is host:port/?..., carries the
 * user back exactly, and ends with a 64-hex signature; rs_uri_encode output is unreserved characters and
 * %XX only. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_script.h"
#include "sigv4.h"

#define MAX_HEADERS 24

static bool lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return s[n] == '\0';
}

static bool unreserved(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
}

static void lower(char *s)
{
    for (; *s; s++) {
        if (*s >= 'A' && *s <= 'Z') {
            *s = (char)(*s - 'A' + 'a');
        }
    }
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode what rs_uri_encode made; -1 when it is not unreserved characters and %XX only. */
static long uri_decode(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n) {
                return -1;
            }
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0 || (s[i + 1] >= 'a') || (s[i + 2] >= 'a')) {
                return -1;  /* SigV4 wants uppercase hex */
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (unreserved(s[i])) {
            out[o++] = s[i];
        } else {
            return -1;
        }
    }
    return (long)o;
}

static rs_status sign(const rs_sigv4_request *req, const rs_sigv4_credentials *creds, const rs_sigv4_scope *scope,
                      rs_sigv4_result *out)
{
    rs_error err;
    rs_error_clear(&err);
    rs_status st = rs_sigv4_sign(req, creds, scope, out, &err);
    if (st != RS_OK) {
        FZ_ASSERT(err.status == st && st != RS_ERR_INTERNAL, "a refusal says why, and is never internal");
        FZ_ASSERT(!out->canonical_request && !out->authorization && !out->string_to_sign, "a refusal holds nothing");
    }
    return st;
}

static void check_result(const rs_sigv4_request *req, const rs_sigv4_credentials *creds,
                         const rs_sigv4_scope *scope, const rs_sigv4_result *r)
{
    FZ_ASSERT(lower_hex(r->signature, 64), "the signature is 64 lowercase hex");
    FZ_ASSERT(strlen(r->amz_date) == 16 && r->amz_date[8] == 'T' && r->amz_date[15] == 'Z', "amz_date's form");
    char scope_text[200], expect[600], hash[65];
    snprintf(scope_text, sizeof(scope_text), "%.8s/%s/%s/aws4_request", r->amz_date, scope->region, scope->service);
    rs_sha256_hex(r->canonical_request, strlen(r->canonical_request), hash);
    snprintf(expect, sizeof(expect), "AWS4-HMAC-SHA256\n%s\n%s\n%s", r->amz_date, scope_text, hash);
    FZ_ASSERT(strcmp(r->string_to_sign, expect) == 0, "the string to sign hashes the canonical request");

    /* Canonical request: method, URI, query, header lines, "", signed headers, payload hash. */
    const char *cr = r->canonical_request;
    size_t mlen = strlen(req->method);
    FZ_ASSERT(strncmp(cr, req->method, mlen) == 0 && cr[mlen] == '\n', "line 1 is the method");
    const char *uri = cr + mlen + 1;
    FZ_ASSERT(uri[0] == '/', "the canonical URI starts with '/'");
    const char *q = strchr(uri, '\n') + 1;
    for (const char *p = uri; *p != '\n'; p++) {
        FZ_ASSERT(unreserved(*p) || *p == '/' || *p == '%', "the canonical URI is encoded");
    }
    const char *h = strchr(q, '\n') + 1;
    for (const char *p = q; *p != '\n'; p++) {
        FZ_ASSERT(unreserved(*p) || *p == '%' || *p == '=' || *p == '&', "the canonical query is encoded");
    }
    const char *blank = strstr(h, "\n\n");
    FZ_ASSERT(blank, "the header block ends with an empty line");
    const char *signed_list = blank + 2;
    const char *payload = strchr(signed_list, '\n');
    FZ_ASSERT(payload, "signed headers then payload hash");
    rs_sha256_hex(req->body, req->body_len, hash);
    FZ_ASSERT(strcmp(payload + 1, hash) == 0, "the last line is the body's SHA-256");
    /* Each header line "name:value", names lowercase, strictly increasing, matching the signed list. */
    char names[4096] = "";
    size_t nl = 0;
    const char *prev = NULL;
    size_t prev_len = 0;
    for (const char *line = h; line <= blank; line = strchr(line, '\n') + 1) {
        const char *colon = strchr(line, ':');
        FZ_ASSERT(colon && colon < strchr(line, '\n'), "a header line is name:value");
        size_t n = (size_t)(colon - line);
        for (size_t i = 0; i < n; i++) {
            FZ_ASSERT(!(line[i] >= 'A' && line[i] <= 'Z'), "canonical header names are lowercase");
        }
        if (prev) {
            int c = memcmp(prev, line, n < prev_len ? n : prev_len);
            FZ_ASSERT(c < 0 || (c == 0 && prev_len < n), "header names are sorted and each appears once");
        }
        if (nl + n + 2 < sizeof(names)) {
            if (nl) {
                names[nl++] = ';';
            }
            memcpy(names + nl, line, n);
            nl += n;
            names[nl] = '\0';
        }
        prev = line;
        prev_len = n;
    }
    if (nl + 2 < sizeof(names)) {
        FZ_ASSERT(strncmp(signed_list, names, nl) == 0 && signed_list[nl] == '\n',
                  "the signed headers are the canonical header names");
    }
    snprintf(expect, sizeof(expect), "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=", creds->access_key_id,
             scope_text);
    FZ_ASSERT(strncmp(r->authorization, expect, strlen(expect)) == 0, "Authorization: credential and scope");
    const char *sig = strstr(r->authorization, ", Signature=");
    FZ_ASSERT(sig && strcmp(sig + 12, r->signature) == 0, "Authorization ends with the signature");
    FZ_ASSERT(strncmp(r->authorization + strlen(expect), signed_list, (size_t)(payload - signed_list)) == 0,
              "Authorization lists the signed headers");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_script script;
    fz_script_init(&script, data, size);
    char method[32], path[512], query[512], region[80], service[80], key[80], secret[200], host[300], user[200];
    if (!fz_param(&script, "method", method, sizeof(method))) {
        snprintf(method, sizeof(method), "POST");
    }
    fz_param(&script, "path", path, sizeof(path));
    bool has_query = fz_param(&script, "query", query, sizeof(query));
    if (!fz_param(&script, "region", region, sizeof(region))) {
        snprintf(region, sizeof(region), "us-east-1");
    }
    if (!fz_param(&script, "service", service, sizeof(service))) {
        snprintf(service, sizeof(service), "secretsmanager");
    }
    if (!fz_param(&script, "key", key, sizeof(key))) {
        snprintf(key, sizeof(key), "AKIDEXAMPLE");
    }
    if (!fz_param(&script, "secret", secret, sizeof(secret))) {
        snprintf(secret, sizeof(secret), "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    }
    time_t when = (time_t)fz_param_long(&script, "time", 1440938160, 0, 400000000000L);

    fz_span headers_text = {"", 0}, body = {"", 0};
    fz_script_next(&script, &headers_text);
    bool has_body = fz_script_next(&script, &body);
    char *hbuf = malloc(headers_text.len + 1);
    if (!hbuf) {
        return 0;
    }
    memcpy(hbuf, headers_text.p, headers_text.len);
    hbuf[headers_text.len] = '\0';
    rs_header headers[MAX_HEADERS];
    size_t count = 0;
    for (char *line = hbuf; line && *line && count < MAX_HEADERS;) {
        char *nl = strchr(line, '\n');
        if (nl) {
            *nl = '\0';
        }
        char *colon = strchr(line, ':');
        if (colon) {
            *colon = '\0';
            headers[count++] = (rs_header){line, colon + 1};
        }
        line = nl ? nl + 1 : NULL;
    }

    rs_sigv4_request req = {.method = method, .path = path, .query = has_query ? query : NULL, .headers = headers,
                            .header_count = count, .body = has_body ? body.p : NULL,
                            .body_len = has_body ? body.len : 0};
    rs_sigv4_credentials creds = {key, secret, NULL};
    rs_sigv4_scope scope = {.region = region, .service = service, .timestamp = when,
                            .normalize_path = fz_param_long(&script, "raw", 0, 0, 1) == 0};
    rs_sigv4_result a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    rs_status sa = sign(&req, &creds, &scope, &a);
    rs_status sb = sign(&req, &creds, &scope, &b);
    FZ_ASSERT(sa == sb, "signing is deterministic (status)");
    if (sa == RS_OK) {
        FZ_ASSERT(strcmp(a.canonical_request, b.canonical_request) == 0 && strcmp(a.signature, b.signature) == 0 &&
                      strcmp(a.authorization, b.authorization) == 0,
                  "signing is deterministic");
        check_result(&req, &creds, &scope, &a);

        /* The same request with its headers sorted by name (stable: duplicates keep their order) and the names
         * lowercased signs the same. */
        rs_header sorted[MAX_HEADERS];
        char *lowered[MAX_HEADERS];
        for (size_t i = 0; i < count; i++) {
            lowered[i] = strdup(headers[i].name);
            if (!lowered[i]) {
                abort();
            }
            lower(lowered[i]);
            sorted[i] = (rs_header){lowered[i], headers[i].value};
        }
        for (size_t i = 1; i < count; i++) {
            for (size_t j = i; j > 0 && strcmp(sorted[j - 1].name, sorted[j].name) > 0; j--) {
                rs_header t = sorted[j];
                sorted[j] = sorted[j - 1];
                sorted[j - 1] = t;
            }
        }
        /* ... and with the query's parameters in reverse order. */
        char reversed[1100] = "";
        if (has_query) {
            const char *parts[512];
            size_t lens[512], np = 0;
            for (const char *p = query; np < 512;) {
                const char *amp = strchr(p, '&');
                parts[np] = p;
                lens[np++] = amp ? (size_t)(amp - p) : strlen(p);
                if (!amp) {
                    break;
                }
                p = amp + 1;
            }
            size_t o = 0;
            for (size_t i = np; i-- > 0;) {
                o += (size_t)snprintf(reversed + o, sizeof(reversed) - o, "%s%.*s", i + 1 < np ? "&" : "",
                                      (int)lens[i], parts[i]);
            }
        }
        rs_sigv4_request req2 = req;
        req2.headers = sorted;
        req2.query = has_query ? reversed : NULL;
        rs_sigv4_result c;
        memset(&c, 0, sizeof(c));
        FZ_ASSERT(sign(&req2, &creds, &scope, &c) == RS_OK, "the reordered request signs too");
        FZ_ASSERT(strcmp(c.canonical_request, a.canonical_request) == 0 && strcmp(c.signature, a.signature) == 0,
                  "header order and case, and query parameter order, do not change the signature");
        rs_sigv4_result_free(&c);
        for (size_t i = 0; i < count; i++) {
            free(lowered[i]);
        }
    }
    rs_sigv4_result_free(&a);
    rs_sigv4_result_free(&b);
    FZ_ASSERT(!a.canonical_request && !a.authorization, "free clears the result");

    /* The presigned form: an RDS IAM token for host:port and user. */
    if (fz_param(&script, "host", host, sizeof(host)) || fz_param(&script, "user", user, sizeof(user))) {
        if (!host[0]) {
            snprintf(host, sizeof(host), "db.example.us-east-1.rds.amazonaws.com");
        }
        fz_param(&script, "user", user, sizeof(user));
        int port = (int)fz_param_long(&script, "port", 3306, 0, 70000);
        char *token = NULL;
        rs_error err;
        rs_error_clear(&err);
        rs_status st = rs_sigv4_rds_auth_token(host, port, user, &creds, region, when, &token, &err);
        if (st == RS_OK) {
            char prefix[400];
            snprintf(prefix, sizeof(prefix), "%s:%d/?", host, port);
            FZ_ASSERT(strncmp(token, prefix, strlen(prefix)) == 0, "a token is host:port/?...");
            size_t tlen = strlen(token);
            FZ_ASSERT(tlen > 81 && strncmp(token + tlen - 81, "&X-Amz-Signature=", 17) == 0 &&
                          lower_hex(token + tlen - 64, 64),
                      "a token ends with a 64-hex signature");
            const char *u = strstr(token + strlen(prefix), "&DBUser=");
            FZ_ASSERT(u, "a token names the user");
            u += 8;
            size_t ulen = strcspn(u, "&");
            char decoded[700];
            long n = uri_decode(u, ulen, decoded);
            FZ_ASSERT(n >= 0 && (size_t)n == strlen(user) && memcmp(decoded, user, (size_t)n) == 0,
                      "the token carries the user name back exactly");
        } else {
            FZ_ASSERT(!token && err.status == st && st != RS_ERR_INTERNAL, "a refused token says why");
        }
        free(token);
    }

    /* rs_uri_encode round trip over the body bytes. */
    char *enc = rs_uri_encode(body.p, body.len, true);
    FZ_ASSERT(enc, "encoding succeeds");
    char *dec = malloc(strlen(enc) + 1);
    long n = dec ? uri_decode(enc, strlen(enc), dec) : -1;
    FZ_ASSERT(n == (long)body.len && memcmp(dec, body.p, body.len) == 0, "rs_uri_encode is decoded back exactly");
    free(dec);
    free(enc);
    free(hbuf);
    return 0;
}
