/* A client for the Lambda Runtime API (custom runtime, provided.al2023): next invocation, response,
 * invocation error and init error, over libcurl with one kept-alive connection. */
#ifndef RL_RUNTIME_H
#define RL_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

typedef struct {
    void *curl;                   /* CURL *, reused so the connection stays open between events */
    char base[320];               /* http://$AWS_LAMBDA_RUNTIME_API/2018-06-01 */
} rl_runtime;

/* The largest Lambda-Runtime-Deadline-Ms taken (epoch ms, about the year 33658): with it every "time left"
 * computation stays far from overflowing. */
#define RL_DEADLINE_MAX_MS 999999999999999LL

typedef struct {
    char request_id[128];         /* Lambda-Runtime-Aws-Request-Id */
    long long deadline_ms;        /* Lambda-Runtime-Deadline-Ms (epoch ms, 1..RL_DEADLINE_MAX_MS), 0 if absent
                                   * or not a valid deadline */
    bool deadline_invalid;        /* the header was there but not 1 to 15 decimal digits */
    char function_arn[512];       /* Lambda-Runtime-Invoked-Function-Arn */
    char trace_id[512];           /* Lambda-Runtime-Trace-Id */
    char *body;                   /* the event, NUL-terminated */
    size_t body_len;
} rl_invocation;

/* Lambda-Runtime-Deadline-Ms as sent: 1 to 15 decimal digits, nothing else (no sign, no blanks), not 0. */
bool rl_parse_deadline_ms(const char *text, long long *out);

rs_status rl_runtime_init(rl_runtime *rt, const char *api, rs_error *err);
void rl_runtime_cleanup(rl_runtime *rt);

/* Wait for the next event, with no client timeout (the sandbox may be frozen for hours between events). */
rs_status rl_runtime_next(rl_runtime *rt, rl_invocation *inv, rs_error *err);
void rl_invocation_free(rl_invocation *inv);

/* POST /runtime/invocation/{id}/response with a JSON body. */
rs_status rl_runtime_respond(rl_runtime *rt, const char *request_id, const char *json, rs_error *err);

/* POST /runtime/invocation/{id}/error, or /runtime/init/error when request_id is NULL, with
 * {"errorMessage","errorType","stackTrace":[]} and Lambda-Runtime-Function-Error-Type. */
rs_status rl_runtime_error(rl_runtime *rt, const char *request_id, const char *error_type, const char *message,
                           rs_error *err);

#endif
