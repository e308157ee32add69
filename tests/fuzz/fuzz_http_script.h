/* The fuzz-only I/O object for the C core: linked with -Wl,--wrap=rs_http_perform,--wrap=nanosleep, it answers
 * every request the core makes (Secrets Manager, container endpoint, IMDS) from the script, and makes the
 * retry pauses instant. Requests are checked on the way out (see fz_http_check_request). */
#ifndef FZ_HTTP_SCRIPT_H
#define FZ_HTTP_SCRIPT_H

#include "fuzz_script.h"
#include "http.h"

/* The script the next requests are answered from (NULL: every request fails to connect). */
void fz_http_use(fz_script *s);
/* Requests made since fz_http_use. */
size_t fz_http_request_count(void);

/* Called for every request before it is answered (NULL: none); a target adds its own invariants here. */
typedef void (*fz_http_hook)(const rs_http_request *req, void *ctx);
void fz_http_set_hook(fz_http_hook hook, void *ctx);

/* The value of a request header (names compared case-insensitively), or NULL. */
const char *fz_http_header(const rs_http_request *req, const char *name);

#endif
