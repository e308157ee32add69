/* One HTTP request over libcurl with the project's safety rules: TLS verification always on,
 * plain http only to loopback (or the metadata hosts when the caller asks), bounded bodies and times. */
#include "http.h"

#include <arpa/inet.h>
#include <cJSON.h>
#include <curl/curl.h>
#include <malloc.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "env.h"

#define RS_HTTP_DEFAULT_CONNECT_MS 1000
#define RS_HTTP_DEFAULT_TIMEOUT_MS 3000
#define RS_HTTP_DEFAULT_MAX_BYTES (64 * 1024)

/* cJSON frees without wiping, and parsed AWS answers hold secrets and credentials: wipe every block
 * cJSON releases. malloc_usable_size covers the whole block, whatever cJSON asked for. */
static void wiping_free(void *p)
{
    if (p) {
        OPENSSL_cleanse(p, malloc_usable_size(p));
        free(p);
    }
}

/* libcurl keeps its own copies of what it sends and receives (the request with its X-Amz-Security-Token header,
 * its receive buffer) and frees them without wiping. Given these allocators at its global initialisation, every
 * block it releases is wiped first, and a moved block is wiped where it was. */
static unsigned long libcurl_frees;  /* frees seen: 0 after a transfer means another caller initialised libcurl */

static void curl_wiping_free(void *p)
{
    if (p) {
        libcurl_frees++;
        OPENSSL_cleanse(p, malloc_usable_size(p));
        free(p);
    }
}

static void *curl_wiping_realloc(void *p, size_t n)
{
    if (!p) {
        return malloc(n);
    }
    size_t old = malloc_usable_size(p);
    if (n <= old) {
        return p;
    }
    void *grown = malloc(n);
    if (grown) {
        memcpy(grown, p, old);
        curl_wiping_free(p);
    }
    return grown;
}

static bool libcurl_memory_wiped;

rs_status rs_http_global_init(rs_error *err)
{
    cJSON_Hooks hooks = {.malloc_fn = malloc, .free_fn = wiping_free};
    cJSON_InitHooks(&hooks);
    CURLcode rc = curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, curl_wiping_free, curl_wiping_realloc, strdup,
                                       calloc);
    if (rc != CURLE_OK) {
        return rs_error_set(err, RS_ERR_INTERNAL, "libcurl initialisation failed: %s", curl_easy_strerror(rc));
    }
    /* When libcurl was initialised before us (by PHP's curl extension loaded first), it ignores our allocators:
     * find out with one handle, and say so in MINFO. */
    CURL *probe = curl_easy_init();
    curl_easy_cleanup(probe);
    libcurl_memory_wiped = libcurl_frees > 0;
    return RS_OK;
}

bool rs_http_libcurl_memory_wiped(void)
{
    return libcurl_memory_wiped;
}

void rs_http_global_cleanup(void)
{
    curl_global_cleanup();
}

const char *rs_http_library_version(void)
{
    return curl_version_info(CURLVERSION_NOW)->version;
}

bool rs_host_is_loopback(const char *host)
{
    if (strcasecmp(host, "localhost") == 0) {
        return true;
    }
    struct in_addr v4;
    if (inet_pton(AF_INET, host, &v4) == 1) {
        return (ntohl(v4.s_addr) >> 24) == 127;
    }
    struct in6_addr v6;
    if (inet_pton(AF_INET6, host, &v6) == 1) {
        return IN6_IS_ADDR_LOOPBACK(&v6);
    }
    return false;
}

bool rs_host_is_metadata(const char *host)
{
    static const char *const v4_hosts[] = {"169.254.169.254", "169.254.170.2", "169.254.170.23"};
    for (size_t i = 0; i < sizeof(v4_hosts) / sizeof(v4_hosts[0]); i++) {
        if (strcmp(host, v4_hosts[i]) == 0) {
            return true;
        }
    }
    /* Compare IPv6 in binary so that every spelling of the address matches. */
    struct in6_addr given, known;
    if (inet_pton(AF_INET6, host, &given) != 1) {
        return false;
    }
    static const char *const v6_hosts[] = {"fd00:ec2::23", "fd00:ec2::254"};
    for (size_t i = 0; i < sizeof(v6_hosts) / sizeof(v6_hosts[0]); i++) {
        if (inet_pton(AF_INET6, v6_hosts[i], &known) == 1 && memcmp(&given, &known, sizeof(given)) == 0) {
            return true;
        }
    }
    return false;
}

rs_status rs_url_parse(const char *url, rs_url *out, rs_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!url || !*url) {
        return rs_error_set(err, RS_ERR_CONFIG, "empty URL");
    }
    const char *p = strstr(url, "://");
    if (!p || p == url || (size_t)(p - url) >= sizeof(out->scheme)) {
        return rs_error_set(err, RS_ERR_CONFIG, "URL '%.200s' has no scheme (http:// or https://)", url);
    }
    size_t scheme_len = (size_t)(p - url);
    for (size_t i = 0; i < scheme_len; i++) {
        char c = url[i];
        out->scheme[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    if (strcmp(out->scheme, "http") != 0 && strcmp(out->scheme, "https") != 0) {
        return rs_error_set(err, RS_ERR_CONFIG, "URL '%.200s' must use http:// or https://", url);
    }
    const char *authority = p + 3;
    size_t authority_len = strcspn(authority, "/?#");
    const char *rest = authority + authority_len;
    if (memchr(authority, '@', authority_len)) {
        return rs_error_set(err, RS_ERR_CONFIG, "URL '%.200s' must not carry user information", url);
    }
    const char *host = authority;
    size_t host_len;
    const char *port_part = NULL;
    if (authority_len > 0 && authority[0] == '[') {
        const char *close = memchr(authority, ']', authority_len);
        if (!close) {
            return rs_error_set(err, RS_ERR_CONFIG, "URL '%.200s' has an unclosed IPv6 address", url);
        }
        host = authority + 1;
        host_len = (size_t)(close - host);
        if (close + 1 < authority + authority_len) {
            if (close[1] != ':') {
                return rs_error_set(err, RS_ERR_CONFIG, "URL '%.200s' is malformed after the IPv6 address", url);
            }
            port_part = close + 2;
        }
    } else {
        const char *colon = memchr(authority, ':', authority_len);
        host_len = colon ? (size_t)(colon - authority) : authority_len;
        if (colon) {
            port_part = colon + 1;
        }
    }
    if (host_len == 0 || host_len >= sizeof(out->host)) {
        return rs_error_set(err, RS_ERR_CONFIG, "URL '%.200s' has no valid host", url);
    }
    memcpy(out->host, host, host_len);
    out->host[host_len] = '\0';
    for (size_t i = 0; i < host_len; i++) {
        unsigned char c = (unsigned char)out->host[i];
        if (c <= 0x20 || c == 0x7f || c == '%' || c == '\\') {
            return rs_error_set(err, RS_ERR_CONFIG, "URL '%.200s' has an invalid host", url);
        }
    }
    if (port_part) {
        const char *end = authority + authority_len;
        long port = 0;
        if (port_part == end) {
            return rs_error_set(err, RS_ERR_CONFIG, "URL '%.200s' has an empty port", url);
        }
        for (const char *q = port_part; q < end; q++) {
            if (*q < '0' || *q > '9' || port > 65535) {
                return rs_error_set(err, RS_ERR_CONFIG, "URL '%.200s' has an invalid port", url);
            }
            port = port * 10 + (*q - '0');
        }
        if (port < 1 || port > 65535) {
            return rs_error_set(err, RS_ERR_CONFIG, "URL '%.200s' has an invalid port", url);
        }
        out->port = (int)port;
    }
    if (*rest == '/') {
        size_t path_len = strcspn(rest, "?#");
        if (path_len >= sizeof(out->path)) {
            return rs_error_set(err, RS_ERR_CONFIG, "URL path is too long");
        }
        memcpy(out->path, rest, path_len);
        out->path[path_len] = '\0';
    } else {
        strcpy(out->path, "/");
    }
    return RS_OK;
}

void rs_url_host_header(const rs_url *url, char *out, size_t out_len)
{
    bool ipv6 = strchr(url->host, ':') != NULL;
    if (url->port) {
        snprintf(out, out_len, ipv6 ? "[%s]:%d" : "%s:%d", url->host, url->port);
    } else {
        snprintf(out, out_len, ipv6 ? "[%s]" : "%s", url->host);
    }
}

typedef struct {
    rs_http_response *resp;
    size_t capacity;
    size_t limit;
    bool too_large;
} body_sink;

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    body_sink *sink = userdata;
    size_t n = size * nmemb;
    rs_http_response *resp = sink->resp;
    if (n > sink->limit - resp->body_len) {
        /* Stop before buffering past the limit, whatever Content-Length said (chunked answers too). */
        sink->too_large = true;
        return 0;
    }
    if (resp->body_len + n + 1 > sink->capacity) {
        size_t cap = sink->capacity ? sink->capacity : 4096;
        while (cap < resp->body_len + n + 1) {
            cap *= 2;
        }
        /* Grow by copying so that no unwiped copy of a secret is left behind by realloc. */
        char *grown = malloc(cap);
        if (!grown) {
            return 0;
        }
        if (resp->body) {
            memcpy(grown, resp->body, resp->body_len);
            OPENSSL_cleanse(resp->body, sink->capacity);
            free(resp->body);
        }
        resp->body = grown;
        sink->capacity = cap;
    }
    memcpy(resp->body + resp->body_len, data, n);
    resp->body_len += n;
    resp->body[resp->body_len] = '\0';
    /* `data` is libcurl's receive buffer, which it frees without wiping and never reads again: wipe the body
     * bytes there (with no content encoding and HTTP/1.1 they are the bytes read from the connection). */
    OPENSSL_cleanse(data, n);
    return n;
}

void rs_http_header_value(const char *line, size_t len, const char *name, char *out, size_t out_len)
{
    size_t name_len = strlen(name);
    if (out_len == 0 || len <= name_len || line[name_len] != ':' || strncasecmp(line, name, name_len) != 0) {
        return;
    }
    const char *v = line + name_len + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t')) {
        v++;
    }
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }
    size_t n = (size_t)(end - v);
    if (n >= out_len) {
        n = out_len - 1;
    }
    memcpy(out, v, n);
    out[n] = '\0';
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    rs_http_response *resp = userdata;
    size_t n = size * nmemb;
    /* A new status line (after a redirect or 100-continue) starts a fresh set of headers. */
    if (n > 5 && strncmp(data, "HTTP/", 5) == 0) {
        resp->date[0] = resp->amzn_error_type[0] = resp->request_id[0] = '\0';
    }
    rs_http_header_value(data, n, "Date", resp->date, sizeof(resp->date));
    rs_http_header_value(data, n, "x-amzn-ErrorType", resp->amzn_error_type, sizeof(resp->amzn_error_type));
    rs_http_header_value(data, n, "x-amzn-RequestId", resp->request_id, sizeof(resp->request_id));
    return n;
}

static rs_status status_for_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return RS_ERR_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
        return RS_ERR_TLS;
    case CURLE_FILESIZE_EXCEEDED:
        return RS_ERR_TOO_LARGE;
    case CURLE_OUT_OF_MEMORY:
        return RS_ERR_INTERNAL;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return RS_ERR_CONFIG;
    default:
        return RS_ERR_CONNECT;
    }
}

/* OpenSSL keeps the last decrypted record in its buffer until the next one overwrites it: have it wiped as
 * soon as it has been handed over (the answer holds the secret). */
static CURLcode cleanse_plaintext(CURL *curl, void *ssl_ctx, void *userdata)
{
    (void)curl;
    (void)userdata;
#ifdef SSL_OP_CLEANSE_PLAINTEXT
    SSL_CTX_set_options((SSL_CTX *)ssl_ctx, SSL_OP_CLEANSE_PLAINTEXT);
#else
    (void)ssl_ctx;
#endif
    return CURLE_OK;
}

/* Header lines may hold a session token or a signature: wipe them before libcurl frees them. */
static void free_header_list(struct curl_slist *headers)
{
    for (struct curl_slist *h = headers; h; h = h->next) {
        OPENSSL_cleanse(h->data, strlen(h->data));
    }
    curl_slist_free_all(headers);
}

/* Header lines are built by us from fixed names; refuse CR/LF in values so no header can be injected. */
static bool header_is_clean(const rs_header *h)
{
    return strpbrk(h->name, "\r\n:") == NULL && strpbrk(h->value, "\r\n") == NULL;
}

rs_status rs_http_perform(const rs_http_request *req, rs_http_response *resp, rs_error *err)
{
    memset(resp, 0, sizeof(*resp));
    rs_url url;
    rs_status st = rs_url_parse(req->url, &url, err);
    if (st != RS_OK) {
        return st;
    }
    if (strcmp(url.scheme, "http") == 0) {
        bool allowed = rs_host_is_loopback(url.host) ||
                       (req->plain_policy == RS_HTTP_PLAIN_METADATA && rs_host_is_metadata(url.host));
        if (!allowed) {
            return rs_error_set(err, RS_ERR_CONFIG,
                                "plain http:// to '%s' refused: use https:// (http is allowed only to loopback)",
                                url.host);
        }
    }

    CURL *curl = curl_easy_init();
    if (!curl) {
        return rs_error_set(err, RS_ERR_INTERNAL, "libcurl could not create a handle");
    }
    struct curl_slist *headers = NULL;
    char line[8192];
    bool has_content_type = false;
    for (size_t i = 0; i < req->header_count; i++) {
        const rs_header *h = &req->headers[i];
        if (!header_is_clean(h)) {
            curl_easy_cleanup(curl);
            free_header_list(headers);
            return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "header '%.64s' holds a line break", h->name);
        }
        int n = snprintf(line, sizeof(line), "%s: %s", h->name, h->value);
        if (n < 0 || (size_t)n >= sizeof(line)) {
            OPENSSL_cleanse(line, sizeof(line));
            curl_easy_cleanup(curl);
            free_header_list(headers);
            return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "header '%.64s' is too long", h->name);
        }
        if (strcasecmp(h->name, "Content-Type") == 0) {
            has_content_type = true;
        }
        struct curl_slist *next = curl_slist_append(headers, line);
        OPENSSL_cleanse(line, sizeof(line));  /* lines may hold a session token */
        if (!next) {
            curl_easy_cleanup(curl);
            free_header_list(headers);
            return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
        }
        headers = next;
    }
    /* libcurl adds these by default; AWS signs what we send, so send only what we signed. */
    static const char *const suppressed[] = {"Expect:", "Accept:"};
    for (size_t i = 0; i < sizeof(suppressed) / sizeof(suppressed[0]); i++) {
        struct curl_slist *next = curl_slist_append(headers, suppressed[i]);
        if (next) {
            headers = next;
        }
    }
    if (req->body && !has_content_type) {
        struct curl_slist *next = curl_slist_append(headers, "Content-Type:");
        if (next) {
            headers = next;
        }
    }

    size_t limit = req->max_response_bytes ? req->max_response_bytes : RS_HTTP_DEFAULT_MAX_BYTES;
    body_sink sink = {.resp = resp, .capacity = 0, .limit = limit, .too_large = false};
    char curl_error[CURL_ERROR_SIZE] = "";

    curl_easy_setopt(curl, CURLOPT_URL, req->url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req->method);
    if (strcmp(req->method, "GET") == 0) {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  /* no SIGALRM games inside PHP workers */
    /* Secrets Manager may sit behind the host's HTTPS proxy (https_proxy/no_proxy, as the SDKs honour), taken
     * from the environment snapshot: libcurl would read the live environment, which a script can putenv().
     * Instance metadata, container credentials and loopback never go through one. */
    const char *proxy = NULL;
    if (strcmp(url.scheme, "https") == 0 && req->plain_policy != RS_HTTP_PLAIN_METADATA &&
        !rs_host_is_loopback(url.host)) {
        static const char *const proxy_vars[] = {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};
        for (size_t i = 0; i < sizeof(proxy_vars) / sizeof(proxy_vars[0]) && !proxy; i++) {
            proxy = rs_env_get(proxy_vars[i]);
        }
    }
    curl_easy_setopt(curl, CURLOPT_PROXY, proxy ? proxy : "");  /* "": no proxy, whatever the environment says */
    if (proxy) {
        /* NULL would make libcurl read no_proxy from the live environment: "" when the snapshot has none. */
        const char *no_proxy = rs_env_get("no_proxy");
        if (!no_proxy) {
            no_proxy = rs_env_get("NO_PROXY");
        }
        curl_easy_setopt(curl, CURLOPT_NOPROXY, no_proxy ? no_proxy : "");
    }
    /* HTTP/1.1: one request, one connection, and the body passes through the buffer on_body wipes. */
    curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, cleanse_plaintext);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     req->connect_timeout_ms > 0 ? req->connect_timeout_ms : RS_HTTP_DEFAULT_CONNECT_MS);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : RS_HTTP_DEFAULT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (req->ca_file && *req->ca_file) {
        curl_easy_setopt(curl, CURLOPT_CAINFO, req->ca_file);
    }
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)limit);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "rdssecret/0.1.0");

    CURLcode rc = curl_easy_perform(curl);
    long status = 0, connect_status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(curl, CURLINFO_HTTP_CONNECTCODE, &connect_status);
    curl_easy_cleanup(curl);
    free_header_list(headers);

    if (rc != CURLE_OK && proxy && connect_status >= 300 && connect_status < 500) {
        /* The proxy refused the tunnel (a redirect, 403, 407...): a configuration matter, never retried, and
         * nothing was sent through it. Its 5xx stay connection errors, retried as the SDKs do. */
        rs_http_response_free(resp);
        return rs_error_set(err, RS_ERR_CONFIG, "the HTTPS proxy answered the tunnel request (CONNECT %s) with HTTP %ld "
                                                "instead of opening it (check https_proxy and the proxy's rules)",
                            url.host, connect_status);
    }
    if (rc != CURLE_OK || sink.too_large) {
        rs_status failure = sink.too_large ? RS_ERR_TOO_LARGE : status_for_curl(rc);
        rs_http_response_free(resp);
        if (failure == RS_ERR_TOO_LARGE) {
            return rs_error_set(err, failure, "response from %s is larger than %zu bytes", url.host, limit);
        }
        char host[300];
        rs_url_host_header(&url, host, sizeof(host));
        return rs_error_set(err, failure, "%s %s://%s%s failed: %s", req->method, url.scheme, host, url.path,
                            curl_error[0] ? curl_error : curl_easy_strerror(rc));
    }
    resp->status = status;
    if (!resp->body) {
        resp->body = calloc(1, 1);
        if (!resp->body) {
            return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
        }
    }
    return RS_OK;
}

void rs_http_response_free(rs_http_response *resp)
{
    if (resp->body) {
        OPENSSL_cleanse(resp->body, resp->body_len);
        free(resp->body);
    }
    memset(resp, 0, sizeof(*resp));
}
