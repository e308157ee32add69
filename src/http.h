/* A small libcurl wrapper: one request, timeouts, TLS always verified, bounded response size,
 * plain http only where the caller's policy allows it (loopback, or the link-local metadata hosts). */
#ifndef RS_HTTP_H
#define RS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "sigv4.h"   /* rs_header */

typedef enum {
    RS_HTTP_PLAIN_LOOPBACK_ONLY = 0,  /* http:// only to 127.0.0.0/8, ::1, localhost */
    RS_HTTP_PLAIN_METADATA = 1,       /* also 169.254.169.254, 169.254.170.2, 169.254.170.23, fd00:ec2::23, fd00:ec2::254 */
} rs_http_plain_policy;

typedef struct {
    const char *method;              /* "GET", "PUT", "POST" */
    const char *url;
    const rs_header *headers;        /* extra request headers */
    size_t header_count;
    const void *body;
    size_t body_len;
    long connect_timeout_ms;         /* 0: 1000 */
    long timeout_ms;                 /* total; 0: 3000 */
    size_t max_response_bytes;       /* larger answers fail with RS_ERR_TOO_LARGE before being buffered whole */
    const char *ca_file;             /* NULL: the system bundle */
    rs_http_plain_policy plain_policy;
} rs_http_request;

typedef struct {
    long status;                     /* HTTP status code */
    char *body;                      /* NUL-terminated, body_len bytes; wiped and freed by rs_http_response_free */
    size_t body_len;
    char date[64];                   /* the Date header, or "" */
    char amzn_error_type[128];       /* the x-amzn-ErrorType header, or "" */
    char request_id[128];            /* x-amzn-RequestId, or "" */
} rs_http_response;

/* Once per process before any request (MINIT, main). Not thread-safe, as curl_global_init.
 * Also makes cJSON wipe the memory it frees, since parsed answers hold secrets. */
rs_status rs_http_global_init(rs_error *err);
void rs_http_global_cleanup(void);
/* Whether libcurl wipes every block it frees (it took our allocators: nothing initialised it before us). */
bool rs_http_libcurl_memory_wiped(void);

/* Perform one request. A transport failure returns its status (CONNECT, TIMEOUT, TLS, TOO_LARGE...)
 * with no response; any HTTP answer returns RS_OK with resp->status set, whatever the status. */
rs_status rs_http_perform(const rs_http_request *req, rs_http_response *resp, rs_error *err);
void rs_http_response_free(rs_http_response *resp);

/* URL helpers, used for endpoint policy checks. */
typedef struct {
    char scheme[8];                  /* "http" or "https" */
    char host[256];                  /* without brackets for IPv6 */
    int port;                        /* explicit port, or 0 */
    char path[1024];                 /* "/" when absent */
} rs_url;

rs_status rs_url_parse(const char *url, rs_url *out, rs_error *err);
bool rs_host_is_loopback(const char *host);
bool rs_host_is_metadata(const char *host);
/* The Host header value for a URL: host, bracketed if IPv6, with :port when explicit. */
void rs_url_host_header(const rs_url *url, char *out, size_t out_len);

/* For libcurl header callbacks: when the raw header line `line` (len bytes) is `name: value`, copy the value,
 * trimmed, into out (truncated to out_len - 1); otherwise leave out untouched. */
void rs_http_header_value(const char *line, size_t len, const char *name, char *out, size_t out_len);

/* libcurl version string, for MINFO. */
const char *rs_http_library_version(void);

#endif
