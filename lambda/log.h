/* Structured log lines for the rotation function: one JSON object per line on stdout (CloudWatch in Lambda).
 * Callers put only ids, step names, outcomes and error text built from causes in a line: never a secret. */
#ifndef RL_LOG_H
#define RL_LOG_H

#include <cJSON.h>
#include <stdbool.h>

/* A new log record holding "time" (UTC, milliseconds) and "level". NULL when out of memory. */
cJSON *rl_log_begin(const char *level);

/* Print the record as one line on stdout, flush, and free it. NULL is ignored. */
void rl_log_emit(cJSON *record);

/* A one-field convenience: {"time","level","message"}. */
void rl_log_message(const char *level, const char *message);

/* Make a step's record a CloudWatch Embedded Metric Format line as well: StepSucceeded/StepFailed (Count) and
 * StepDuration (Milliseconds) in the namespace $METRICS_NAMESPACE (default "rdssecret/rotation"; "off": none),
 * by Step, by Secret (the secret's name from its ARN) and Step, and in Lambda by Function
 * ($AWS_LAMBDA_FUNCTION_NAME), so alarms need no log parsing. */
void rl_log_add_step_metrics(cJSON *record, const char *secret_arn, const char *step, bool succeeded,
                             long long duration_ms);

/* Milliseconds since the epoch, and from a monotonic clock (for durations). */
long long rl_now_ms(void);
long long rl_monotonic_ms(void);

#endif
