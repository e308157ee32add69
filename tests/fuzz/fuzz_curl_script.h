/* Scripted libcurl for the Lambda Runtime API client (see fuzz_curl_script.c). */
#ifndef FZ_CURL_SCRIPT_H
#define FZ_CURL_SCRIPT_H

#include <stdbool.h>

#include "error.h"
#include "fuzz_script.h"

/* Called for every request before it is answered: its URL, whether it is a POST, and the POST body. */
typedef void (*fz_curl_hook)(const char *url, bool post, const char *body, void *ctx);

/* Answer the next requests from `s` (NULL: every request fails to connect). */
void fz_curl_use(fz_script *s, fz_curl_hook hook, void *ctx);

#endif
