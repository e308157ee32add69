/* The four rotation steps (createSecret, setSecret, testSecret, finishSecret) with the checks Secrets Manager
 * expects before each, for MySQL/MariaDB secrets: single user, or alternating users when the secret names a
 * master secret ("masterarn"). */
#ifndef RL_ROTATION_H
#define RL_ROTATION_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "error.h"
#include "sm.h"

typedef enum { RL_STEP_CREATE = 0, RL_STEP_SET, RL_STEP_TEST, RL_STEP_FINISH, RL_STEP_COUNT } rl_step;

/* "createSecret" or "create_secret" (and so on); false for anything else. */
bool rl_step_parse(const char *name, rl_step *out);
const char *rl_step_name(rl_step step);

/* A Secrets Manager rotation event as the Runtime API delivers it: {"Step", "SecretId", "ClientRequestToken",
 * "RotationToken"?}. The strings are heap copies, NULL when absent or not strings (rl_run_step checks them). */
typedef struct {
    rl_step step;
    char *secret_id;
    char *token;
    char *rotation_token;
} rl_event;

/* RS_ERR_INVALID_PARAMETER, with a message for the invocation's error answer, when the body is not a JSON
 * object with a known Step. */
rs_status rl_event_parse(const char *body, size_t len, rl_event *out, rs_error *err);
void rl_event_free(rl_event *ev);

typedef struct {
    rs_sm_client *sm;
    const rl_config *cfg;
    long long deadline_ms;        /* epoch ms by which the step must have answered; 0: none (command line) */
    const char *trace_id;         /* for the log line, or NULL */
    const char *request_id;       /* Lambda request id, or NULL */
} rl_rotation;

typedef struct {
    char outcome[24];             /* "success", "nothing_to_do" or "error" */
    char error_type[64];          /* for Lambda-Runtime-Function-Error-Type, e.g. "Rotation.TokenNotPending" */
    char message[600];            /* what happened, for people; never a secret */
    char secret_arn[2048];
} rl_result;

/* Run one step for (secret_id, token). Logs exactly one structured line. RS_OK when the step succeeded or had
 * nothing to do; otherwise res->error_type and err say why. rotation_token (may be NULL) goes to PutSecretValue. */
rs_status rl_run_step(rl_rotation *r, const char *secret_id, const char *token, rl_step step,
                      const char *rotation_token, rl_result *res, rs_error *err);

/* A random version token (UUID v4) into out[37]. */
rs_status rl_new_token(char out[37], rs_error *err);

#endif
