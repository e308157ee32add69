/* Lambda Runtime API client. libcurl directly (not rs_http): the protocol lives in response headers
 * (request id, deadline, trace id) that rs_http does not hand back, and /next must wait without a timeout. */
#include "runtime.h"

#include "http.h"

#include <cJSON.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RL_MAX_EVENT_BYTES (1024 * 1024)   /* rotation events are a few hundred bytes; Lambda's own cap is 6 MB */
#define RL_POST_TIMEOUT_MS 10000L

typedef struct {
    char *buf;
    size_t len, cap;
    bool too_large;
} sink;

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    sink *s = userdata;
    size_t n = size * nmemb;
    if (s->len + n > RL_MAX_EVENT_BYTES) {
        s->too_large = true;
        return 0;
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 1024;
        while (cap < s->len + n + 1) {
            cap *= 2;
        }
        char *grown = realloc(s->buf, cap);
        if (!grown) {
            return 0;
        }
        s->buf = grown;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return n;
}

bool rl_parse_deadline_ms(const char *text, long long *out)
{
    size_t n = strspn(text, "0123456789");
    if (n == 0 || n > 15 || text[n] != '\0') {
        return false;
    }
    long long v = 0;
    for (size_t i = 0; i < n; i++) {
        v = v * 10 + (text[i] - '0');
    }
    if (v < 1 || v > RL_DEADLINE_MAX_MS) {
        return false;
    }
    *out = v;
    return true;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    rl_invocation *inv = userdata;
    size_t n = size * nmemb;
    static const char deadline_name[] = "Lambda-Runtime-Deadline-Ms";
    const size_t deadline_len = sizeof(deadline_name) - 1;
    rs_http_header_value(data, n, "Lambda-Runtime-Aws-Request-Id", inv->request_id, sizeof(inv->request_id));
    rs_http_header_value(data, n, "Lambda-Runtime-Invoked-Function-Arn", inv->function_arn, sizeof(inv->function_arn));
    rs_http_header_value(data, n, "Lambda-Runtime-Trace-Id", inv->trace_id, sizeof(inv->trace_id));
    if (n > deadline_len && data[deadline_len] == ':' && strncasecmp(data, deadline_name, deadline_len) == 0) {
        /* strtoll read "abc" as 0 (no deadline: the guards off) and took any 64-bit value, which made the time
         * left overflow; anything but plain digits now makes the invocation unusable instead. One byte more than
         * a valid value can have, so a longer one is refused rather than cut. */
        char deadline[17] = "";
        rs_http_header_value(data, n, deadline_name, deadline, sizeof(deadline));
        if (!rl_parse_deadline_ms(deadline, &inv->deadline_ms)) {
            inv->deadline_invalid = true;  /* stays so, whatever a repeated header says */
            inv->deadline_ms = 0;
        }
    }
    return n;
}

rs_status rl_runtime_init(rl_runtime *rt, const char *api, rs_error *err)
{
    memset(rt, 0, sizeof(*rt));
    if (!api || !*api || strpbrk(api, "/ \r\n") || strlen(api) > 256) {
        return rs_error_set(err, RS_ERR_CONFIG, "AWS_LAMBDA_RUNTIME_API must be host:port");
    }
    snprintf(rt->base, sizeof(rt->base), "http://%s/2018-06-01", api);
    rt->curl = curl_easy_init();
    if (!rt->curl) {
        return rs_error_set(err, RS_ERR_INTERNAL, "libcurl could not create a handle");
    }
    return RS_OK;
}

void rl_runtime_cleanup(rl_runtime *rt)
{
    if (rt->curl) {
        curl_easy_cleanup(rt->curl);
    }
    rt->curl = NULL;
}

/* One request on the shared handle. timeout_ms 0: none. */
static rs_status perform(rl_runtime *rt, const char *method, const char *url, struct curl_slist *headers,
                         const char *body, long timeout_ms, sink *out, rl_invocation *inv, long *status,
                         rs_error *err)
{
    CURL *curl = rt->curl;
    curl_easy_reset(curl);
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
#else
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTP);
#endif
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? strlen(body) : 0));
    } else {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    if (inv) {
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, inv);
    }
    CURLcode rc = curl_easy_perform(curl);
    *status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    if (rc != CURLE_OK) {
        return rs_error_set(err, rc == CURLE_OPERATION_TIMEDOUT ? RS_ERR_TIMEOUT : RS_ERR_CONNECT,
                            "Runtime API %s %s failed: %s", method, url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
    return RS_OK;
}

rs_status rl_runtime_next(rl_runtime *rt, rl_invocation *inv, rs_error *err)
{
    memset(inv, 0, sizeof(*inv));
    char url[400];
    snprintf(url, sizeof(url), "%s/runtime/invocation/next", rt->base);
    sink body = {0};
    long status = 0;
    rs_status st = perform(rt, "GET", url, NULL, NULL, 0L, &body, inv, &status, err);
    if (st == RS_OK && (status != 200 || body.too_large || !inv->request_id[0])) {
        st = rs_error_set(err, RS_ERR_MALFORMED, "Runtime API next answered HTTP %ld%s%s", status,
                          body.too_large ? ", event too large" : "", inv->request_id[0] ? "" : ", no request id");
    }
    if (st != RS_OK) {
        free(body.buf);
        return st;
    }
    inv->body = body.buf ? body.buf : calloc(1, 1);
    inv->body_len = body.len;
    return inv->body ? RS_OK : rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
}

void rl_invocation_free(rl_invocation *inv)
{
    free(inv->body);
    memset(inv, 0, sizeof(*inv));
}

/* Request ids come from the API; keep them to characters that cannot alter the URL path. */
static bool safe_request_id(const char *id)
{
    if (!id || !*id) {
        return false;
    }
    for (const char *p = id; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.')) {
            return false;
        }
    }
    return true;
}

static rs_status post(rl_runtime *rt, const char *path, struct curl_slist *headers, const char *body, rs_error *err)
{
    char url[600];
    snprintf(url, sizeof(url), "%s%s", rt->base, path);
    sink answer = {0};
    long status = 0;
    rs_status st = perform(rt, "POST", url, headers, body, RL_POST_TIMEOUT_MS, &answer, NULL, &status, err);
    free(answer.buf);
    if (st == RS_OK && (status < 200 || status > 299)) {
        st = rs_error_set(err, RS_ERR_REQUEST_FAILED, "Runtime API POST %s answered HTTP %ld", path, status);
    }
    return st;
}

rs_status rl_runtime_respond(rl_runtime *rt, const char *request_id, const char *json, rs_error *err)
{
    if (!safe_request_id(request_id)) {
        return rs_error_set(err, RS_ERR_MALFORMED, "unusable Lambda request id");
    }
    char path[300];
    snprintf(path, sizeof(path), "/runtime/invocation/%s/response", request_id);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    rs_status st = post(rt, path, headers, json, err);
    curl_slist_free_all(headers);
    return st;
}

rs_status rl_runtime_error(rl_runtime *rt, const char *request_id, const char *error_type, const char *message,
                           rs_error *err)
{
    char path[300];
    if (request_id) {
        if (!safe_request_id(request_id)) {
            return rs_error_set(err, RS_ERR_MALFORMED, "unusable Lambda request id");
        }
        snprintf(path, sizeof(path), "/runtime/invocation/%s/error", request_id);
    } else {
        snprintf(path, sizeof(path), "/runtime/init/error");
    }
    cJSON *obj = cJSON_CreateObject();
    if (!obj || !cJSON_AddStringToObject(obj, "errorMessage", message) ||
        !cJSON_AddStringToObject(obj, "errorType", error_type) || !cJSON_AddArrayToObject(obj, "stackTrace")) {
        cJSON_Delete(obj);
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    char *body = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    if (!body) {
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    /* The type travels in a header too: keep it to printable characters without CR/LF. */
    char type_header[160];
    snprintf(type_header, sizeof(type_header), "Lambda-Runtime-Function-Error-Type: %s", error_type);
    for (char *p = type_header; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            *p = '?';
        }
    }
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/vnd.aws.lambda.error+json");
    struct curl_slist *more = headers ? curl_slist_append(headers, type_header) : NULL;
    rs_status st = more ? post(rt, path, more, body, err) : rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    curl_slist_free_all(more ? more : headers);
    free(body);
    return st;
}
