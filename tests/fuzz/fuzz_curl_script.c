/* Scripted libcurl for the Lambda Runtime API client (lambda/runtime.c talks to libcurl directly): linked with
 * -Wl,--wrap=curl_easy_perform,--wrap=curl_easy_setopt,--wrap=curl_easy_getinfo,--wrap=curl_easy_reset, it keeps
 * the options the client sets (passing them on to the real libcurl, which checks them) and, instead of any
 * network I/O, hands the next scripted answer to the client's own header and body callbacks, line by line and
 * in pieces, as libcurl does. */
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_curl_script.h"

typedef size_t (*write_cb)(char *, size_t, size_t, void *);

static fz_script *current;
static fz_curl_hook hook;
static void *hook_ctx;
static struct {
    write_cb header_fn, write_fn;
    void *header_data, *write_data;
    char url[1024];
    const char *post_body;
    bool post;
    long status;
} opts;

void fz_curl_use(fz_script *s, fz_curl_hook h, void *ctx)
{
    current = s;
    hook = h;
    hook_ctx = ctx;
}

CURLcode __real_curl_easy_setopt(CURL *curl, CURLoption option, ...);
CURLcode __wrap_curl_easy_setopt(CURL *curl, CURLoption option, ...);
CURLcode __wrap_curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
    va_list ap;
    va_start(ap, option);
    CURLcode rc;
    if (option < CURLOPTTYPE_OBJECTPOINT) {
        long v = va_arg(ap, long);
        if (option == CURLOPT_HTTPGET && v) {
            opts.post = false;
        }
        rc = __real_curl_easy_setopt(curl, option, v);
    } else if (option >= CURLOPTTYPE_OFF_T && option < CURLOPTTYPE_BLOB) {
        curl_off_t v = va_arg(ap, curl_off_t);
        rc = __real_curl_easy_setopt(curl, option, v);
    } else {
        void *p = va_arg(ap, void *);
        switch (option) {
        case CURLOPT_URL:
            snprintf(opts.url, sizeof(opts.url), "%s", p ? (const char *)p : "");
            break;
        case CURLOPT_POSTFIELDS:
            opts.post = true;
            opts.post_body = p;
            break;
        case CURLOPT_HEADERFUNCTION:
            opts.header_fn = (write_cb)p;
            break;
        case CURLOPT_HEADERDATA:
            opts.header_data = p;
            break;
        case CURLOPT_WRITEFUNCTION:
            opts.write_fn = (write_cb)p;
            break;
        case CURLOPT_WRITEDATA:
            opts.write_data = p;
            break;
        default:
            break;
        }
        rc = __real_curl_easy_setopt(curl, option, p);
    }
    va_end(ap);
    return rc;
}

void __real_curl_easy_reset(CURL *curl);
void __wrap_curl_easy_reset(CURL *curl);
void __wrap_curl_easy_reset(CURL *curl)
{
    memset(&opts, 0, sizeof(opts));
    __real_curl_easy_reset(curl);
}

/* Hand `len` bytes to a callback in up to three pieces; false when the callback refuses them. */
static bool deliver(write_cb fn, void *data, const char *p, size_t len, bool header)
{
    if (!fn) {
        return true;
    }
    if (header) {
        char *copy = malloc(len + 1);  /* libcurl's buffer is writable and NUL-terminated */
        if (!copy) {
            return false;
        }
        memcpy(copy, p, len);
        copy[len] = '\0';
        bool ok = fn(copy, 1, len, data) == len;
        free(copy);
        return ok;
    }
    size_t cut1 = len / 3, cut2 = len - len / 4;
    size_t pieces[3][2] = {{0, cut1}, {cut1, cut2}, {cut2, len}};
    for (int i = 0; i < 3; i++) {
        size_t n = pieces[i][1] - pieces[i][0];
        if (n == 0) {
            continue;
        }
        char *copy = malloc(n);
        if (!copy) {
            return false;
        }
        memcpy(copy, p + pieces[i][0], n);
        bool ok = fn(copy, 1, n, data) == n;
        free(copy);
        if (!ok) {
            return false;
        }
    }
    return true;
}

CURLcode __wrap_curl_easy_perform(CURL *curl);
CURLcode __wrap_curl_easy_perform(CURL *curl)
{
    (void)curl;
    if (hook) {
        hook(opts.url, opts.post, opts.post ? opts.post_body : NULL, hook_ctx);
    }
    opts.status = 0;
    fz_span section;
    if (!current || !fz_script_next(current, &section)) {
        return CURLE_COULDNT_CONNECT;
    }
    fz_http_answer a;
    fz_http_answer_parse(section, &a);
    if (a.transport) {
        return a.transport == RS_ERR_TIMEOUT ? CURLE_OPERATION_TIMEDOUT : CURLE_COULDNT_CONNECT;
    }
    opts.status = a.status;
    char status_line[64];
    int n = snprintf(status_line, sizeof(status_line), "HTTP/1.1 %ld\r\n", a.status);
    if (!deliver(opts.header_fn, opts.header_data, status_line, (size_t)n, true)) {
        return CURLE_WRITE_ERROR;
    }
    fz_span rest = a.headers, line;
    while (rest.p && rest.len && fz_span_line(&rest, &line)) {
        size_t len = line.len + (rest.p ? 1 : 0);  /* with its line end, as libcurl hands it over */
        if (!deliver(opts.header_fn, opts.header_data, line.p, len, true)) {
            return CURLE_WRITE_ERROR;
        }
    }
    if (!deliver(opts.header_fn, opts.header_data, "\r\n", 2, true) ||
        !deliver(opts.write_fn, opts.write_data, a.body.p, a.body.len, false)) {
        return CURLE_WRITE_ERROR;
    }
    return CURLE_OK;
}

CURLcode __wrap_curl_easy_getinfo(CURL *curl, CURLINFO info, ...);
CURLcode __wrap_curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
    (void)curl;
    va_list ap;
    va_start(ap, info);
    CURLcode rc = CURLE_UNKNOWN_OPTION;
    if (info == CURLINFO_RESPONSE_CODE) {
        *va_arg(ap, long *) = opts.status;
        rc = CURLE_OK;
    }
    va_end(ap);
    return rc;
}
