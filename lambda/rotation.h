/* The four rotation steps (createSecret, setSecret, testSecret, finishSecret) with the checks Secrets Manager
 * expects before each, for MySQL/MariaDB secrets: single user, or alternating users when the secret names a
 * master secret ("masterarn"). */
#ifndef RL_ROTATION_H
#define RL_ROTATION_H

#include <stdbool.h>

#include "config.h"
#include "error.h"
#include "sm.h"

typedef enum { RL_STEP_CREATE = 0, RL_STEP_SET, RL_STEP_TEST, RL_STEP_FINISH, RL_STEP_COUNT } rl_step;

/* "createSecret" or "create_secret" (and so on); false for anything else. */
bool rl_step_parse(const char *name, rl_step *out);
const char *rl_step_name(rl_step step);

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
