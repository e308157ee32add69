/* Fuzz target: the Secrets Manager client (src/sm.c) reading answers and error bodies, behind scripted HTTP
 * (fuzz_http_script.c replaces rs_http_perform). Every operation is reachable: GetSecretValue, PutSecretValue,
 * DescribeSecret, UpdateSecretVersionStage, GetRandomPassword and a raw rs_sm_call, with statuses, Date and
 * x-amzn-ErrorType headers, so the retry, skew-correction and credential-refresh paths run.
 *
 * Parameters (first section): op=get|put|describe|stage|random|call, id=, version=, stage=, attempts=1..10,
 * length= (random), endpoint= (else https://secretsmanager.us-east-1.amazonaws.com).
 * Invariants: every request is a signed POST to the endpoint with the operation's X-Amz-Target and a
 * well-formed Authorization (64 hex signature), timeouts within the configured ones, and a JSON object body; no call makes more than
 * attempts + 2 requests (one skew correction, one credential refresh); a failure fills the error record with
 * its status and one printable line; a success yields what the operation promises (a secret string without a
 * hidden NUL, at most 64 KiB, a VersionId; a password of the asked length; ...). */
#include <cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "fuzz_http_script.h"
#include "sm.h"

#define FZ_KEY_ID "AKIDFUZZEXAMPLE"
#define FZ_SECRET_KEY "fuzzSecretKeyNotARealOne/0123456789ABCD"
#define FZ_SESSION_TOKEN "FwoGZXIvYXdzEFuzzSessionToken"

typedef struct {
    const rs_sm_client *client;
    const char *operation;
} request_ctx;

static bool is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

static void check_sm_request(const rs_http_request *req, void *ctx_)
{
    const request_ctx *ctx = ctx_;
    FZ_ASSERT(strcmp(req->method, "POST") == 0, "Secrets Manager calls are POSTs");
    FZ_ASSERT(strcmp(req->url, ctx->client->endpoint) == 0, "requests go to the resolved endpoint only");
    /* Each attempt is bounded by what is left of the call's budget, never by more than the configured timeouts. */
    FZ_ASSERT(req->timeout_ms > 0 && req->timeout_ms <= ctx->client->config.timeout_ms &&
                  req->connect_timeout_ms > 0 && req->connect_timeout_ms <= ctx->client->config.connect_timeout_ms,
              "an attempt's timeouts are positive and within the configured ones");
    char target[128];
    snprintf(target, sizeof(target), "secretsmanager.%s", ctx->operation);
    const char *t = fz_http_header(req, "X-Amz-Target");
    FZ_ASSERT(t && strcmp(t, target) == 0, "X-Amz-Target names the operation");
    const char *date = fz_http_header(req, "X-Amz-Date");
    FZ_ASSERT(date && strlen(date) == 16 && date[8] == 'T' && date[15] == 'Z', "X-Amz-Date is YYYYMMDDTHHMMSSZ");
    const char *token = fz_http_header(req, "X-Amz-Security-Token");
    FZ_ASSERT(token && strcmp(token, FZ_SESSION_TOKEN) == 0, "the session token travels with temporary credentials");
    const char *auth = fz_http_header(req, "Authorization");
    static const char prefix[] = "AWS4-HMAC-SHA256 Credential=" FZ_KEY_ID "/";
    FZ_ASSERT(auth && strncmp(auth, prefix, sizeof(prefix) - 1) == 0, "Authorization names the key id");
    FZ_ASSERT(strncmp(auth + sizeof(prefix) - 1, date, 8) == 0, "the credential scope has the signing date");
    const char *sig = strstr(auth, ", Signature=");
    FZ_ASSERT(sig && strlen(sig + 12) == 64 && is_lower_hex(sig + 12, 64), "the signature is 64 lowercase hex");
    FZ_ASSERT(strstr(auth, "/secretsmanager/aws4_request, SignedHeaders=content-type;host;x-amz-date;"
                           "x-amz-security-token;x-amz-target, "),
              "the scope and the signed headers are those of Secrets Manager");
    FZ_ASSERT(!strstr(auth, FZ_SECRET_KEY), "the secret key never travels");
    cJSON *body = cJSON_ParseWithLength(req->body, req->body_len);
    FZ_ASSERT(cJSON_IsObject(body), "the request body is a JSON object");
    cJSON_Delete(body);
}

static void check_error(rs_status st, const rs_error *err)
{
    FZ_ASSERT(err->status == st, "the error record holds the returned status");
    FZ_ASSERT(memchr(err->message, '\0', sizeof(err->message)) != NULL, "the message is terminated");
    for (const char *p = err->message; *p; p++) {
        FZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f, "the message is one printable line");
    }
    FZ_ASSERT(memchr(err->aws_code, '\0', sizeof(err->aws_code)) != NULL, "the AWS code is terminated");
    for (const char *p = err->aws_code; *p; p++) {
        FZ_ASSERT((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
                      *p == '.',
                  "the AWS code holds identifier characters only");
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* The credential chain's first provider answers; nothing else in the chain is consulted. */
    setenv("AWS_ACCESS_KEY_ID", FZ_KEY_ID, 1);
    setenv("AWS_SECRET_ACCESS_KEY", FZ_SECRET_KEY, 1);
    setenv("AWS_SESSION_TOKEN", FZ_SESSION_TOKEN, 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_SECRETS_MANAGER");
    unsetenv("AWS_USE_FIPS_ENDPOINT");
    rs_env_capture();  /* the core reads this snapshot, never the live environment */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_script script;
    fz_script_init(&script, data, size);
    char op[16], id[2100], version[80], stage[300], endpoint[600];
    fz_param(&script, "op", op, sizeof(op));
    if (!fz_param(&script, "id", id, sizeof(id))) {
        snprintf(id, sizeof(id), "db-secret");
    }
    bool has_version = fz_param(&script, "version", version, sizeof(version));
    bool has_stage = fz_param(&script, "stage", stage, sizeof(stage));
    if (!fz_param(&script, "endpoint", endpoint, sizeof(endpoint))) {
        snprintf(endpoint, sizeof(endpoint), "https://secretsmanager.us-east-1.amazonaws.com");
    }
    int attempts = (int)fz_param_long(&script, "attempts", 3, 1, 10);

    rs_creds_config cc;
    memset(&cc, 0, sizeof(cc));
    rs_creds_provider creds;
    rs_creds_provider_init(&creds, &cc);
    rs_sm_config cfg = {.region = "us-east-1", .endpoint = endpoint, .max_attempts = attempts, .creds = &creds};
    rs_sm_client client;
    rs_error err;
    rs_error_clear(&err);
    if (rs_sm_client_init(&client, &cfg, &err) != RS_OK) {
        check_error(err.status, &err);
        rs_creds_provider_destroy(&creds);
        return 0;
    }

    static const struct {
        const char *param, *operation;
    } ops[] = {{"get", "GetSecretValue"}, {"put", "PutSecretValue"}, {"describe", "DescribeSecret"},
               {"stage", "UpdateSecretVersionStage"}, {"random", "GetRandomPassword"}, {"call", "RotateSecret"}};
    size_t which = 0;
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (strcmp(op, ops[i].param) == 0) {
            which = i;
        }
    }
    request_ctx ctx = {&client, ops[which].operation};
    fz_http_use(&script);
    fz_http_set_hook(check_sm_request, &ctx);

    rs_status st = RS_OK;
    switch (which) {
    case 0: {
        rs_secret_value v;
        st = rs_sm_get_secret_value(&client, id, has_version ? version : NULL, has_stage ? stage : NULL, &v, &err);
        if (st == RS_OK) {
            FZ_ASSERT(v.version_id, "a value has a VersionId");
            FZ_ASSERT((v.secret_string != NULL) != (v.secret_binary != NULL), "a value is a string or binary");
            if (v.secret_string) {
                FZ_ASSERT(strlen(v.secret_string) == v.secret_string_len,
                          "no NUL inside a SecretString (escaped, raw or an invalid \\u escape)");
            }
            FZ_ASSERT(v.secret_string_len <= RS_SM_MAX_SECRET_BYTES && v.secret_binary_len <= RS_SM_MAX_SECRET_BYTES,
                      "a secret is at most 64 KiB");
            FZ_ASSERT(v.version_stage_count == 0 || v.version_stages, "stages are allocated");
            for (size_t i = 0; i < v.version_stage_count; i++) {
                FZ_ASSERT(v.version_stages[i], "every stage is a string");
            }
            rs_secret_value_free(&v);
        }
        break;
    }
    case 1: {
        const char *stages[] = {has_stage ? stage : "AWSPENDING"};
        st = rs_sm_put_secret_value(&client, id, has_version ? version : "0123456789abcdef0123456789abcdef",
                                    "{\"password\":\"fuzz\"}", stages, 1, NULL, &err);
        break;
    }
    case 2: {
        rs_secret_description d;
        st = rs_sm_describe_secret(&client, id, &d, &err);
        if (st == RS_OK) {
            FZ_ASSERT(d.arn, "a description has an ARN");
            for (size_t i = 0; i < d.version_count; i++) {
                FZ_ASSERT(d.versions[i].version_id, "every version has an id");
                for (size_t j = 0; j < d.versions[i].stage_count; j++) {
                    FZ_ASSERT(d.versions[i].stages[j], "every stage is a string");
                }
            }
            const char *cur = rs_secret_description_version_with_stage(&d, "AWSCURRENT");
            (void)cur;
            rs_secret_description_free(&d);
        }
        break;
    }
    case 3:
        st = rs_sm_update_secret_version_stage(&client, id, has_stage ? stage : "AWSCURRENT",
                                               has_version ? version : NULL, NULL, &err);
        break;
    case 4: {
        rs_random_password_options o = {.length = (int)fz_param_long(&script, "length", 32, 0, 5000),
                                        .exclude_characters = "/@\"'\\", .require_each_included_type = true};
        char *pw = NULL;
        st = rs_sm_get_random_password(&client, &o, &pw, &err);
        if (st == RS_OK) {
            FZ_ASSERT(pw && strlen(pw) == (size_t)(o.length ? o.length : 32), "the password has the asked length");
        } else {
            FZ_ASSERT(!pw, "no password on failure");
        }
        rs_secure_free(pw);
        break;
    }
    default: {
        char *answer = (char *)1;
        size_t answer_len = 1;
        st = rs_sm_call(&client, "RotateSecret", "{\"SecretId\":\"x\"}", &answer, &answer_len, &err);
        if (st == RS_OK) {
            FZ_ASSERT(answer && answer[answer_len] == '\0', "the answer is NUL-terminated");
            free(answer);
        } else {
            FZ_ASSERT(!answer && answer_len == 0, "no answer on failure");
        }
        break;
    }
    }
    if (st != RS_OK) {
        check_error(st, &err);
    }
    /* The retry budget: max_attempts, plus one retry after a clock-skew correction and one after fresh
     * credentials, neither counted as a failed attempt. */
    FZ_ASSERT(fz_http_request_count() <= (size_t)attempts + 2, "no call makes more than attempts + 2 requests");
    fz_http_set_hook(NULL, NULL);
    fz_http_use(NULL);
    rs_creds_provider_destroy(&creds);
    return 0;
}
