/* The AWS Secrets Manager JSON client: endpoint resolution, signed calls over rs_http,
 * error mapping, retries with backoff and full jitter, clock-skew correction. */
#ifndef RS_SM_H
#define RS_SM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "creds.h"
#include "error.h"

/* Largest response body accepted: a 64 KiB secret, JSON-escaped in the worst case (\u00XX: 6x),
 * or base64 for SecretBinary, plus the other fields. */
#define RS_SM_MAX_RESPONSE_BYTES (512 * 1024)
#define RS_SM_MAX_SECRET_BYTES (64 * 1024)

typedef struct {
    const char *region;           /* required unless endpoint given with a region */
    const char *endpoint;         /* explicit override URL, or NULL (then the AWS_ENDPOINT_URL_* variables) */
    const char *ca_file;          /* NULL: system bundle */
    long connect_timeout_ms;      /* 0: 1000 */
    long timeout_ms;              /* per attempt; 0: 3000 */
    int max_attempts;             /* 0: 3 */
    long backoff_base_ms;         /* 0: 50 */
    long backoff_max_ms;          /* 0: 20000 */
    long total_timeout_ms;        /* one call, every attempt, pause and retry included; 0: the worst case of the
                                   * attempts above (see rs_sm_budget_ms) */
    rs_creds_provider *creds;     /* not owned */
} rs_sm_config;

typedef struct {
    rs_sm_config config;
    char endpoint[512];           /* resolved URL */
    char region[64];
    long clock_offset;            /* seconds to add to the local clock, learnt from a skew error */
    unsigned long attempts_total; /* every HTTP attempt made, for statistics */
} rs_sm_client;

rs_status rs_sm_client_init(rs_sm_client *c, const rs_sm_config *cfg, rs_error *err);

/* The longest one call may take, by construction: a deadline this far from the call's start bounds every attempt
 * (each one's timeout is cut to what is left), every pause and the clock-skew and expired-credential retries.
 * Only a credential lookup that starts before the deadline may run past it, by at most
 * rs_creds_budget_ms(). Without total_timeout_ms: (attempts + 2) full attempts plus the largest pauses. */
long rs_sm_budget_ms(const rs_sm_client *c);

/* Endpoint resolution: explicit, $AWS_ENDPOINT_URL_SECRETS_MANAGER, $AWS_ENDPOINT_URL, then
 * https://secretsmanager.<region>.amazonaws.com (.amazonaws.com.cn for cn-*). An http:// endpoint is
 * refused unless its host is loopback. */
rs_status rs_sm_resolve_endpoint(const char *explicit_endpoint, const char *region,
                                 char *out, size_t out_len, rs_error *err);

/* Map an AWS error type ("com.amazonaws...#ThrottlingException:suffix") to its bare code and status. */
void rs_sm_error_code(const char *aws_type, char *code_out, size_t code_len);
rs_status rs_sm_status_for_code(const char *code, long http_status);

/* Retry policy (exposed for tests). attempt counts from 1 (the attempt that just failed). */
bool rs_sm_is_retryable(rs_status status, const char *aws_code, long http_status);
long rs_sm_backoff_ms(int attempt, long base_ms, long max_ms, double random01);

/* Low-level: one operation with a JSON body; *response_json (heap, wiped on free) on success. */
rs_status rs_sm_call(rs_sm_client *c, const char *operation, const char *request_json,
                     char **response_json, size_t *response_len, rs_error *err);

typedef struct {
    char *arn;
    char *name;
    char *version_id;
    char *secret_string;          /* NULL when the secret is binary */
    size_t secret_string_len;
    unsigned char *secret_binary; /* NULL when the secret is a string */
    size_t secret_binary_len;
    char **version_stages;
    size_t version_stage_count;
    double created_date;
    char source[16];              /* which credentials fetched it ("imds", "container"...), for monitoring */
    int64_t lifetime_ms;          /* > 0: the value stops working this long after it was made (an IAM token); the
                                   * cache renews it a third of that before and never serves it past its end */
} rs_secret_value;

/* version_id and version_stage may be NULL (neither: AWSCURRENT). */
rs_status rs_sm_get_secret_value(rs_sm_client *c, const char *secret_id, const char *version_id,
                                 const char *version_stage, rs_secret_value *out, rs_error *err);
void rs_secret_value_free(rs_secret_value *v);

rs_status rs_sm_put_secret_value(rs_sm_client *c, const char *secret_id, const char *client_request_token,
                                 const char *secret_string, const char *const *version_stages,
                                 size_t stage_count, const char *rotation_token, rs_error *err);

typedef struct {
    char *version_id;
    char **stages;
    size_t stage_count;
} rs_secret_version_stages;

typedef struct {
    char *arn;
    char *name;
    bool rotation_enabled;
    char *rotation_lambda_arn;
    rs_secret_version_stages *versions;
    size_t version_count;
} rs_secret_description;

rs_status rs_sm_describe_secret(rs_sm_client *c, const char *secret_id, rs_secret_description *out,
                                rs_error *err);
void rs_secret_description_free(rs_secret_description *d);
/* The version id holding `stage`, or NULL. */
const char *rs_secret_description_version_with_stage(const rs_secret_description *d, const char *stage);

rs_status rs_sm_update_secret_version_stage(rs_sm_client *c, const char *secret_id, const char *stage,
                                            const char *move_to_version_id,
                                            const char *remove_from_version_id, rs_error *err);

typedef struct {
    int length;                   /* 0: 32 */
    const char *exclude_characters;
    bool exclude_numbers, exclude_punctuation, exclude_uppercase, exclude_lowercase;
    bool include_space;
    bool require_each_included_type;
} rs_random_password_options;

/* *out_password is heap; wipe and free it with rs_secure_free. */
rs_status rs_sm_get_random_password(rs_sm_client *c, const rs_random_password_options *opts,
                                    char **out_password, rs_error *err);

/* Wipe then free a NUL-terminated heap string. */
void rs_secure_free(char *s);

#endif
