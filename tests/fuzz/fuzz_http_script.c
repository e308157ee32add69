/* Scripted HTTP for the fuzz targets: replaces rs_http_perform (the one function of the core that does network
 * I/O) at link time. What the real function guarantees its callers is kept: a transport failure returns its
 * status and no response; an answer returns RS_OK with a NUL-terminated body of at most max_response_bytes and
 * the Date, x-amzn-ErrorType and x-amzn-RequestId headers, read by the real rs_http_header_value line by line
 * as libcurl hands them over (a new status line clears them, as http.c's header callback does). */
#include "fuzz_http_script.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static fz_script *current;
static size_t requests;
static fz_http_hook hook;
static void *hook_ctx;

void fz_http_use(fz_script *s)
{
    current = s;
    requests = 0;
}

size_t fz_http_request_count(void)
{
    return requests;
}

void fz_http_set_hook(fz_http_hook h, void *ctx)
{
    hook = h;
    hook_ctx = ctx;
}

const char *fz_http_header(const rs_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++) {
        if (strcasecmp(req->headers[i].name, name) == 0) {
            return req->headers[i].value;
        }
    }
    return NULL;
}

/* What every caller must respect, whatever the answers so far were. */
static void check_request(const rs_http_request *req)
{
    FZ_ASSERT(req->method && req->url, "a request has a method and a URL");
    rs_url url;
    rs_error err;
    rs_error_clear(&err);
    FZ_ASSERT(rs_url_parse(req->url, &url, &err) == RS_OK, "every requested URL parses");
    if (strcmp(url.scheme, "http") == 0) {
        FZ_ASSERT(rs_host_is_loopback(url.host) ||
                      (req->plain_policy == RS_HTTP_PLAIN_METADATA && rs_host_is_metadata(url.host)),
                  "plain http only to loopback or, for metadata requests, the metadata hosts");
    }
    for (size_t i = 0; i < req->header_count; i++) {
        const rs_header *h = &req->headers[i];
        FZ_ASSERT(h->name && h->value, "a request header has a name and a value");
        /* A value from an answer (an IMDS token, a role name) must never split a header line. */
        FZ_ASSERT(!strpbrk(h->name, "\r\n:") && !strpbrk(h->value, "\r\n"), "no CR/LF in a request header");
    }
    FZ_ASSERT(req->body || req->body_len == 0, "a body length comes with a body");
}

rs_status __wrap_rs_http_perform(const rs_http_request *req, rs_http_response *resp, rs_error *err);
rs_status __wrap_rs_http_perform(const rs_http_request *req, rs_http_response *resp, rs_error *err)
{
    memset(resp, 0, sizeof(*resp));
    requests++;
    check_request(req);
    if (hook) {
        hook(req, hook_ctx);
    }
    fz_span section;
    if (!current || !fz_script_next(current, &section)) {
        return rs_error_set(err, RS_ERR_CONNECT, "%s %s failed: (fuzz) no more answers", req->method, req->url);
    }
    fz_http_answer a;
    fz_http_answer_parse(section, &a);
    if (a.transport) {
        return rs_error_set(err, (rs_status)a.transport, "%s %s failed: (fuzz) scripted transport failure",
                            req->method, req->url);
    }
    size_t limit = req->max_response_bytes ? req->max_response_bytes : 64 * 1024;
    if (a.body.len > limit) {
        return rs_error_set(err, RS_ERR_TOO_LARGE, "response is larger than %zu bytes", limit);
    }
    fz_span rest = a.headers, line;
    while (rest.p && rest.len && fz_span_line(&rest, &line)) {
        /* libcurl hands each header line over with its line end. */
        size_t n = line.len + (rest.p ? 1 : 0);
        if (n > 5 && strncmp(line.p, "HTTP/", 5) == 0) {
            resp->date[0] = resp->amzn_error_type[0] = resp->request_id[0] = '\0';
        }
        rs_http_header_value(line.p, n, "Date", resp->date, sizeof(resp->date));
        rs_http_header_value(line.p, n, "x-amzn-ErrorType", resp->amzn_error_type, sizeof(resp->amzn_error_type));
        rs_http_header_value(line.p, n, "x-amzn-RequestId", resp->request_id, sizeof(resp->request_id));
    }
    resp->body = malloc(a.body.len + 1);
    if (!resp->body) {
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    memcpy(resp->body, a.body.p, a.body.len);
    resp->body[a.body.len] = '\0';
    resp->body_len = a.body.len;
    resp->status = a.status;
    return RS_OK;
}

/* Retry pauses (backoff, metadata retries) cost nothing here: only their count matters. */
int __wrap_nanosleep(const struct timespec *req, struct timespec *rem);
int __wrap_nanosleep(const struct timespec *req, struct timespec *rem)
{
    (void)req;
    if (rem) {
        rem->tv_sec = 0;
        rem->tv_nsec = 0;
    }
    return 0;
}
