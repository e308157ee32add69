/* AWS Secrets Manager client: signed JSON calls with retries, error mapping and clock-skew correction,
 * and the operations rdssecret and its rotation function need. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strptime, timegm */
#endif
#include "sm.h"

#include <cJSON.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "env.h"
#include "http.h"
#include "secret.h"
#include "sigv4.h"

#define RS_SM_DEFAULT_CONNECT_MS 1000
#define RS_SM_DEFAULT_TIMEOUT_MS 3000
#define RS_SM_DEFAULT_ATTEMPTS 3
#define RS_SM_DEFAULT_BACKOFF_BASE_MS 50
#define RS_SM_DEFAULT_BACKOFF_MAX_MS 20000
#define RS_SM_MAX_ATTEMPTS 10

void rs_secure_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

static bool is_valid_region(const char *r)
{
    return rs_region_is_valid(r, strlen(r));
}


rs_status rs_sm_resolve_endpoint(const char *explicit_endpoint, const char *region, char *out, size_t out_len,
                                 rs_error *err)
{
    const char *chosen = NULL;
    const char *origin = NULL;
    if (explicit_endpoint && *explicit_endpoint) {
        chosen = explicit_endpoint;
        origin = "the endpoint setting";
    } else if ((chosen = rs_env_get("AWS_ENDPOINT_URL_SECRETS_MANAGER")) != NULL) {
        origin = "AWS_ENDPOINT_URL_SECRETS_MANAGER";
    } else if ((chosen = rs_env_get("AWS_ENDPOINT_URL")) != NULL) {
        origin = "AWS_ENDPOINT_URL";
    }
    if (chosen) {
        rs_url url;
        if (rs_url_parse(chosen, &url, err) != RS_OK) {
            return rs_error_set(err, RS_ERR_CONFIG, "%s: %s", origin, err ? err->message : "invalid URL");
        }
        if (strcmp(url.scheme, "http") == 0 && !rs_host_is_loopback(url.host)) {
            return rs_error_set(err, RS_ERR_CONFIG,
                                "%s: plain http:// is accepted only for loopback hosts; use https://", origin);
        }
        if (strchr(chosen, '?') || strchr(chosen, '#')) {
            return rs_error_set(err, RS_ERR_CONFIG, "%s: an endpoint URL must not have a query or fragment", origin);
        }
        if (strlen(chosen) >= out_len) {
            return rs_error_set(err, RS_ERR_CONFIG, "%s: endpoint URL too long", origin);
        }
        strcpy(out, chosen);
        return RS_OK;
    }
    if (!region || !*region) {
        return rs_error_set(err, RS_ERR_NO_REGION,
                            "no AWS region: set rdssecret.region, AWS_REGION or AWS_DEFAULT_REGION");
    }
    if (!is_valid_region(region)) {
        return rs_error_set(err, RS_ERR_CONFIG, "invalid AWS region '%.64s'", region);
    }
    const char *suffix = "amazonaws.com";
    if (strncmp(region, "cn-", 3) == 0) {
        suffix = "amazonaws.com.cn";
    } else if (strncmp(region, "us-isob-", 8) == 0) {
        suffix = "sc2s.sgov.gov";
    } else if (strncmp(region, "us-iso-", 7) == 0) {
        suffix = "c2s.ic.gov";
    }
    const char *service = rs_env_true("AWS_USE_FIPS_ENDPOINT") ? "secretsmanager-fips" : "secretsmanager";
    int n = snprintf(out, out_len, "https://%s.%s.%s", service, region, suffix);
    if (n < 0 || (size_t)n >= out_len) {
        return rs_error_set(err, RS_ERR_CONFIG, "endpoint URL too long");
    }
    return RS_OK;
}

void rs_sm_error_code(const char *aws_type, char *code_out, size_t code_len)
{
    if (code_len == 0) {
        return;
    }
    code_out[0] = '\0';
    if (!aws_type) {
        return;
    }
    /* "aws.protocoltests#FooError:http://internal/" -> "FooError" */
    const char *start = strrchr(aws_type, '#');
    start = start ? start + 1 : aws_type;
    size_t len = strcspn(start, ":");
    /* Keep only printable identifier characters: the code lands in messages and exception data. */
    size_t j = 0;
    for (size_t i = 0; i < len && j + 1 < code_len; i++) {
        char c = start[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.') {
            code_out[j++] = c;
        }
    }
    code_out[j] = '\0';
}

static bool code_in(const char *code, const char *const *list)
{
    for (; *list; list++) {
        if (strcmp(code, *list) == 0) {
            return true;
        }
    }
    return false;
}

static const char *const throttling_codes[] = {
    "ThrottlingException", "Throttling", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled", "SlowDown",
    "ProvisionedThroughputExceededException", "BandwidthLimitExceeded", "LimitExceededException", NULL};
static const char *const transient_codes[] = {
    "InternalServiceError", "InternalFailure", "InternalError", "ServiceUnavailable",
    "ServiceUnavailableException", "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", NULL};
static const char *const auth_codes[] = {
    "InvalidSignatureException", "IncompleteSignature", "InvalidClientTokenId", "UnrecognizedClientException",
    "ExpiredTokenException", "ExpiredToken", "RequestExpired", "MissingAuthenticationToken",
    "SignatureDoesNotMatch", "RequestTimeTooSkewed", "RequestInTheFuture", "AuthFailure", NULL};
static const char *const skew_codes[] = {"RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture", NULL};
static const char *const expired_credential_codes[] = {
    "ExpiredTokenException", "ExpiredToken", "UnrecognizedClientException", "InvalidClientTokenId", NULL};

rs_status rs_sm_status_for_code(const char *code, long http_status)
{
    if (code && *code) {
        if (strcmp(code, "ResourceNotFoundException") == 0) {
            return RS_ERR_NOT_FOUND;
        }
        if (strcmp(code, "AccessDeniedException") == 0 || strcmp(code, "AccessDenied") == 0 ||
            strcmp(code, "KMSAccessDeniedException") == 0) {
            return RS_ERR_ACCESS_DENIED;
        }
        if (code_in(code, throttling_codes)) {
            return RS_ERR_THROTTLED;
        }
        if (code_in(code, transient_codes)) {
            return RS_ERR_SERVICE;
        }
        if (code_in(code, auth_codes)) {
            return RS_ERR_AUTH;
        }
        if (strcmp(code, "InvalidParameterException") == 0 || strcmp(code, "ValidationException") == 0 ||
            strcmp(code, "SerializationException") == 0) {
            return RS_ERR_INVALID_PARAMETER;
        }
        if (strcmp(code, "InvalidRequestException") == 0) {
            return RS_ERR_INVALID_REQUEST;
        }
        if (strcmp(code, "DecryptionFailure") == 0) {
            return RS_ERR_DECRYPTION;
        }
        if (strcmp(code, "ResourceExistsException") == 0) {
            return RS_ERR_CONFLICT;
        }
    }
    if (http_status == 429) {
        return RS_ERR_THROTTLED;
    }
    if (http_status >= 500) {
        return RS_ERR_SERVICE;
    }
    if (http_status == 403) {
        return RS_ERR_ACCESS_DENIED;
    }
    return RS_ERR_REQUEST_FAILED;
}

bool rs_sm_is_retryable(rs_status status, const char *aws_code, long http_status)
{
    if (status == RS_ERR_CONNECT || status == RS_ERR_TIMEOUT || status == RS_ERR_THROTTLED ||
        status == RS_ERR_SERVICE) {
        return true;
    }
    if (aws_code && (code_in(aws_code, throttling_codes) || code_in(aws_code, transient_codes))) {
        return true;
    }
    return http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504;
}

long rs_sm_backoff_ms(int attempt, long base_ms, long max_ms, double random01)
{
    /* Full jitter (the SDKs' standard mode): random(0,1) * min(base * 2^attempt, cap). */
    if (attempt < 1) {
        attempt = 1;
    }
    if (random01 < 0) {
        random01 = 0;
    }
    if (random01 > 1) {
        random01 = 1;
    }
    double ceiling = (double)base_ms;
    for (int i = 0; i < attempt && ceiling < (double)max_ms; i++) {
        ceiling *= 2;
    }
    if (ceiling > (double)max_ms) {
        ceiling = (double)max_ms;
    }
    return (long)(random01 * ceiling);
}

static double random_unit(void)
{
    unsigned int r;
    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1) {
        return 0.5;
    }
    return (double)r / (double)0xffffffffu;
}

static long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

long rs_sm_budget_ms(const rs_sm_client *c)
{
    if (c->config.total_timeout_ms > 0) {
        return c->config.total_timeout_ms;
    }
    /* The attempts that count, plus one after a clock-skew correction and one after fresh credentials. */
    long per_attempt = c->config.timeout_ms > c->config.connect_timeout_ms ? c->config.timeout_ms
                                                                           : c->config.connect_timeout_ms;
    long budget = (long)(c->config.max_attempts + 2) * per_attempt;
    for (int attempt = 1; attempt < c->config.max_attempts; attempt++) {
        budget += rs_sm_backoff_ms(attempt, c->config.backoff_base_ms, c->config.backoff_max_ms, 1.0);
    }
    return budget;
}

rs_status rs_sm_client_init(rs_sm_client *c, const rs_sm_config *cfg, rs_error *err)
{
    memset(c, 0, sizeof(*c));
    c->config = *cfg;
    if (c->config.connect_timeout_ms <= 0) {
        c->config.connect_timeout_ms = RS_SM_DEFAULT_CONNECT_MS;
    }
    if (c->config.timeout_ms <= 0) {
        c->config.timeout_ms = RS_SM_DEFAULT_TIMEOUT_MS;
    }
    if (c->config.max_attempts <= 0) {
        c->config.max_attempts = RS_SM_DEFAULT_ATTEMPTS;
    }
    if (c->config.max_attempts > RS_SM_MAX_ATTEMPTS) {
        c->config.max_attempts = RS_SM_MAX_ATTEMPTS;
    }
    if (c->config.backoff_base_ms <= 0) {
        c->config.backoff_base_ms = RS_SM_DEFAULT_BACKOFF_BASE_MS;
    }
    if (c->config.backoff_max_ms <= 0) {
        c->config.backoff_max_ms = RS_SM_DEFAULT_BACKOFF_MAX_MS;
    }
    if (!cfg->creds) {
        return rs_error_set(err, RS_ERR_CONFIG, "Secrets Manager client needs a credentials provider");
    }
    if (!cfg->region || !*cfg->region) {
        return rs_error_set(err, RS_ERR_NO_REGION,
                            "no AWS region: set rdssecret.region, AWS_REGION or AWS_DEFAULT_REGION");
    }
    if (!is_valid_region(cfg->region)) {
        return rs_error_set(err, RS_ERR_CONFIG, "invalid AWS region '%.64s'", cfg->region);
    }
    strcpy(c->region, cfg->region);
    c->config.region = c->region;
    rs_status st = rs_sm_resolve_endpoint(cfg->endpoint, cfg->region, c->endpoint, sizeof(c->endpoint), err);
    c->config.endpoint = c->endpoint;
    return st;
}

/* Parse an HTTP Date ("Sun, 29 Nov 2026 19:30:00 GMT"); -1 when absent or malformed. */
static time_t parse_http_date(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (!s || !*s) {
        return -1;
    }
    const char *end = strptime(s, "%a, %d %b %Y %H:%M:%S", &tm);
    if (!end) {
        return -1;
    }
    return timegm(&tm);
}

static bool is_skew_error(const char *code, const char *message)
{
    if (code_in(code, skew_codes)) {
        return true;
    }
    return strcmp(code, "InvalidSignatureException") == 0 && message &&
           (strstr(message, "Signature expired") || strstr(message, "Signature not yet current"));
}

/* Copy AWS's own error text, bounded; AWS messages carry no secret values. */
static void aws_message(const cJSON *json, char *out, size_t out_len)
{
    out[0] = '\0';
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(json, "message");
    if (!cJSON_IsString(m)) {
        m = cJSON_GetObjectItemCaseSensitive(json, "Message");
    }
    if (cJSON_IsString(m) && m->valuestring) {
        snprintf(out, out_len, "%s", m->valuestring);
    }
}

typedef enum { ATTEMPT_DONE, ATTEMPT_RETRY, ATTEMPT_RETRY_NOW } attempt_outcome;

static attempt_outcome one_attempt(rs_sm_client *c, const char *operation, const char *request_json,
                                   const rs_url *url, long deadline_ms, rs_http_response *resp, bool *skew_fixed,
                                   bool *creds_refreshed, rs_status *st, rs_error *err)
{
    if (deadline_ms - monotonic_ms() <= 0) {
        *st = rs_error_set(err, RS_ERR_TIMEOUT, "Secrets Manager %s: the %ld ms budget for one call is spent",
                           operation, rs_sm_budget_ms(c));
        return ATTEMPT_DONE;
    }
    rs_credentials creds;
    time_t local_now = time(NULL);
    *st = rs_creds_provider_get(c->config.creds, local_now, &creds, err);
    if (*st != RS_OK) {
        return ATTEMPT_DONE;
    }
    char host[300], amz_date[17], target[96];
    rs_url_host_header(url, host, sizeof(host));
    rs_sigv4_format_amz_date(local_now + c->clock_offset, amz_date);
    snprintf(target, sizeof(target), "secretsmanager.%s", operation);
    rs_header headers[7] = {
        {"Host", host},
        {"X-Amz-Date", amz_date},
        {"X-Amz-Target", target},
        {"Content-Type", "application/x-amz-json-1.1"},
    };
    size_t header_count = 4;
    if (creds.session_token[0]) {
        headers[header_count++] = (rs_header){"X-Amz-Security-Token", creds.session_token};
    }
    rs_sigv4_request sreq = {
        .method = "POST", .path = url->path, .query = NULL, .headers = headers,
        .header_count = header_count, .body = request_json, .body_len = strlen(request_json)};
    rs_sigv4_credentials screds = {creds.access_key_id, creds.secret_access_key, creds.session_token};
    rs_sigv4_scope scope = {.region = c->region, .service = "secretsmanager",
                            .timestamp = local_now + c->clock_offset, .normalize_path = true};
    rs_sigv4_result signed_req;
    memset(&signed_req, 0, sizeof(signed_req));
    *st = rs_sigv4_sign(&sreq, &screds, &scope, &signed_req, err);
    if (*st != RS_OK) {
        rs_credentials_wipe(&creds);
        return ATTEMPT_DONE;
    }
    headers[header_count++] = (rs_header){"Authorization", signed_req.authorization};
    /* The credential lookup took its time: what is left of the call's budget bounds this attempt. */
    long left = deadline_ms - monotonic_ms();
    if (left <= 0) {
        rs_sigv4_result_free(&signed_req);
        rs_credentials_wipe(&creds);
        *st = rs_error_set(err, RS_ERR_TIMEOUT, "Secrets Manager %s: no time left for a request (budget %ld ms)",
                           operation, rs_sm_budget_ms(c));
        return ATTEMPT_DONE;
    }
    rs_http_request hreq = {
        .method = "POST", .url = c->endpoint, .headers = headers, .header_count = header_count,
        .body = request_json, .body_len = strlen(request_json),
        .connect_timeout_ms = c->config.connect_timeout_ms < left ? c->config.connect_timeout_ms : left,
        .timeout_ms = c->config.timeout_ms < left ? c->config.timeout_ms : left,
        .max_response_bytes = RS_SM_MAX_RESPONSE_BYTES, .ca_file = c->config.ca_file,
        .plain_policy = RS_HTTP_PLAIN_LOOPBACK_ONLY};
    c->attempts_total++;
    *st = rs_http_perform(&hreq, resp, err);
    bool temporary_creds = creds.session_token[0] != '\0';
    rs_sigv4_result_free(&signed_req);
    rs_credentials_wipe(&creds);
    if (*st != RS_OK) {
        /* A TLS failure is never retried (and never downgraded); connection trouble is. */
        return rs_sm_is_retryable(*st, NULL, 0) ? ATTEMPT_RETRY : ATTEMPT_DONE;
    }
    if (resp->status >= 200 && resp->status < 300) {
        return ATTEMPT_DONE;
    }

    /* An AWS error: find its code in the body, else in x-amzn-ErrorType. */
    cJSON *json = cJSON_ParseWithLength(resp->body, resp->body_len);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(json, "__type");
    char code[64];
    rs_sm_error_code(cJSON_IsString(type) ? type->valuestring : resp->amzn_error_type, code, sizeof(code));
    if (!code[0]) {
        rs_sm_error_code(resp->amzn_error_type, code, sizeof(code));
    }
    char message[300];
    aws_message(json, message, sizeof(message));
    cJSON_Delete(json);

    *st = rs_sm_status_for_code(code, resp->status);
    if (err) {
        rs_error_set(err, *st, "Secrets Manager %s failed: %s%s%s (HTTP %ld)", operation,
                     code[0] ? code : "unknown error", message[0] ? ": " : "", message, resp->status);
        err->http_status = resp->status;
        snprintf(err->aws_code, sizeof(err->aws_code), "%s", code);
    }
    if (!*skew_fixed && is_skew_error(code, message)) {
        time_t server = parse_http_date(resp->date);
        if (server > 0) {
            *skew_fixed = true;
            c->clock_offset = (long)(server - time(NULL));
            return ATTEMPT_RETRY_NOW;
        }
    }
    if (!*creds_refreshed && temporary_creds && code_in(code, expired_credential_codes)) {
        /* The instance role's credentials were rotated early or revoked: fetch new ones once. */
        *creds_refreshed = true;
        rs_creds_provider_invalidate(c->config.creds);
        return ATTEMPT_RETRY_NOW;
    }
    return rs_sm_is_retryable(*st, code, resp->status) ? ATTEMPT_RETRY : ATTEMPT_DONE;
}

rs_status rs_sm_call(rs_sm_client *c, const char *operation, const char *request_json, char **response_json,
                     size_t *response_len, rs_error *err)
{
    *response_json = NULL;
    if (response_len) {
        *response_len = 0;
    }
    rs_url url;
    rs_status st = rs_url_parse(c->endpoint, &url, err);
    if (st != RS_OK) {
        return st;
    }
    bool skew_fixed = false, creds_refreshed = false;
    int attempt = 1;
    long deadline = monotonic_ms() + rs_sm_budget_ms(c);
    for (;;) {
        rs_http_response resp;
        memset(&resp, 0, sizeof(resp));
        rs_error_clear(err);
        attempt_outcome outcome =
            one_attempt(c, operation, request_json, &url, deadline, &resp, &skew_fixed, &creds_refreshed, &st, err);
        if (outcome == ATTEMPT_DONE && st == RS_OK) {
            *response_json = resp.body;  /* ownership passes to the caller */
            if (response_len) {
                *response_len = resp.body_len;
            }
            return RS_OK;
        }
        rs_http_response_free(&resp);
        if (outcome == ATTEMPT_DONE) {
            return st;
        }
        if (outcome == ATTEMPT_RETRY_NOW) {
            continue;  /* a corrected clock or fresh credentials: not counted as a failed attempt */
        }
        if (attempt >= c->config.max_attempts) {
            if (err && c->config.max_attempts > 1) {
                size_t used = strlen(err->message);
                snprintf(err->message + used, sizeof(err->message) - used, " after %d attempts", attempt);
            }
            return st;
        }
        long pause = rs_sm_backoff_ms(attempt, c->config.backoff_base_ms, c->config.backoff_max_ms, random_unit());
        long left = deadline - monotonic_ms();
        if (left <= pause) {
            if (err) {
                size_t used = strlen(err->message);
                snprintf(err->message + used, sizeof(err->message) - used,
                         " after %d attempt%s (the %ld ms budget for one fetch is spent)", attempt,
                         attempt == 1 ? "" : "s", rs_sm_budget_ms(c));
            }
            return st;
        }
        sleep_ms(pause);
        attempt++;
    }
}

/* --- operations ------------------------------------------------------------------------------------ */

/* Serialize, call, parse. The request JSON may hold a secret (PutSecretValue): it is wiped.
 * refuse_nul: an escaped NUL (\u0000) in the answer is refused, since C strings would cut the value there. */
static rs_status call_json_checked(rs_sm_client *c, const char *operation, cJSON *request, bool refuse_nul,
                                   cJSON **response, rs_error *err)
{
    char *body = cJSON_PrintUnformatted(request);
    if (!body) {
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    char *answer = NULL;
    size_t answer_len = 0;
    rs_status st = rs_sm_call(c, operation, body, &answer, &answer_len, err);
    rs_secure_free(body);
    if (st != RS_OK) {
        return st;
    }
    if (refuse_nul && rs_json_has_escaped_nul(answer, answer_len)) {
        OPENSSL_cleanse(answer, answer_len);
        free(answer);
        return rs_error_set(err, RS_ERR_MALFORMED, "Secrets Manager %s answered a value holding a NUL character, "
                                                   "which rdssecret cannot return intact", operation);
    }
    *response = cJSON_ParseWithLength(answer, answer_len);
    OPENSSL_cleanse(answer, answer_len);
    free(answer);
    if (!cJSON_IsObject(*response)) {
        cJSON_Delete(*response);
        *response = NULL;
        return rs_error_set(err, RS_ERR_MALFORMED, "Secrets Manager %s answered with a body that is not a JSON object",
                            operation);
    }
    return RS_OK;
}

/* Every answer is checked for escaped NULs: cJSON would cut an id or a value there without a word. */
static rs_status call_json(rs_sm_client *c, const char *operation, cJSON *request, cJSON **response, rs_error *err)
{
    return call_json_checked(c, operation, request, true, response, err);
}

static bool add_string(cJSON *obj, const char *key, const char *value)
{
    return !value || cJSON_AddStringToObject(obj, key, value) != NULL;
}

static char *dup_json_string(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) && v->valuestring ? strdup(v->valuestring) : NULL;
}

/* A JSON array of strings into a heap array of heap strings. false on malformed input. */
static bool dup_string_array(const cJSON *arr, char ***out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (!arr) {
        return true;
    }
    if (!cJSON_IsArray(arr)) {
        return false;
    }
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n == 0) {
        return true;
    }
    char **items = calloc(n, sizeof(char *));
    if (!items) {
        return false;
    }
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        if (!cJSON_IsString(it) || !(items[i] = strdup(it->valuestring))) {
            for (size_t j = 0; j < i; j++) {
                free(items[j]);
            }
            free(items);
            return false;
        }
        i++;
    }
    *out = items;
    *count = n;
    return true;
}

static void free_string_array(char **items, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(items[i]);
    }
    free(items);
}

/* Decode standard base64 into a fresh buffer; false when the text is not base64. */
static bool base64_decode(const char *text, unsigned char **out, size_t *out_len)
{
    size_t len = strlen(text);
    if (len % 4 != 0) {
        return false;
    }
    unsigned char *buf = malloc(len / 4 * 3 + 1);
    if (!buf) {
        return false;
    }
    int n = len ? EVP_DecodeBlock(buf, (const unsigned char *)text, (int)len) : 0;
    if (n < 0) {
        free(buf);
        return false;
    }
    /* EVP_DecodeBlock counts padding as zero bytes. */
    if (len >= 1 && text[len - 1] == '=') {
        n--;
    }
    if (len >= 2 && text[len - 2] == '=') {
        n--;
    }
    *out = buf;
    *out_len = (size_t)n;
    return true;
}

void rs_secret_value_free(rs_secret_value *v)
{
    free(v->arn);
    free(v->name);
    free(v->version_id);
    if (v->secret_string) {
        OPENSSL_cleanse(v->secret_string, v->secret_string_len);
        free(v->secret_string);
    }
    if (v->secret_binary) {
        OPENSSL_cleanse(v->secret_binary, v->secret_binary_len);
        free(v->secret_binary);
    }
    free_string_array(v->version_stages, v->version_stage_count);
    memset(v, 0, sizeof(*v));
}

rs_status rs_sm_get_secret_value(rs_sm_client *c, const char *secret_id, const char *version_id,
                                 const char *version_stage, rs_secret_value *out, rs_error *err)
{
    memset(out, 0, sizeof(*out));
    size_t id_len = secret_id ? strlen(secret_id) : 0;
    if (id_len < 1 || id_len > 2048) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "secret id must be 1 to 2048 characters");
    }
    if (version_id && (strlen(version_id) < 32 || strlen(version_id) > 64)) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "version id must be 32 to 64 characters");
    }
    if (version_stage && (strlen(version_stage) < 1 || strlen(version_stage) > 256)) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "version stage must be 1 to 256 characters");
    }
    cJSON *req = cJSON_CreateObject();
    if (!req || !add_string(req, "SecretId", secret_id) || !add_string(req, "VersionId", version_id) ||
        !add_string(req, "VersionStage", version_stage)) {
        cJSON_Delete(req);
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    cJSON *resp = NULL;
    rs_status st = call_json_checked(c, "GetSecretValue", req, true, &resp, err);
    cJSON_Delete(req);
    if (st != RS_OK) {
        return st;
    }
    const cJSON *str = cJSON_GetObjectItemCaseSensitive(resp, "SecretString");
    const cJSON *bin = cJSON_GetObjectItemCaseSensitive(resp, "SecretBinary");
    const cJSON *created = cJSON_GetObjectItemCaseSensitive(resp, "CreatedDate");
    out->arn = dup_json_string(resp, "ARN");
    out->name = dup_json_string(resp, "Name");
    out->version_id = dup_json_string(resp, "VersionId");
    out->created_date = cJSON_IsNumber(created) ? created->valuedouble : 0;
    bool ok = out->version_id != NULL &&
              dup_string_array(cJSON_GetObjectItemCaseSensitive(resp, "VersionStages"), &out->version_stages,
                               &out->version_stage_count);
    if (ok && cJSON_IsString(str) && str->valuestring) {
        out->secret_string_len = strlen(str->valuestring);
        out->secret_string = malloc(out->secret_string_len + 1);
        ok = out->secret_string != NULL;
        if (ok) {
            memcpy(out->secret_string, str->valuestring, out->secret_string_len + 1);
        }
    } else if (ok && cJSON_IsString(bin) && bin->valuestring) {
        ok = base64_decode(bin->valuestring, &out->secret_binary, &out->secret_binary_len);
    } else {
        ok = false;
    }
    cJSON_Delete(resp);
    if (!ok) {
        rs_secret_value_free(out);
        return rs_error_set(err, RS_ERR_MALFORMED,
                            "Secrets Manager GetSecretValue for '%.200s' answered without a valid VersionId and "
                            "SecretString or SecretBinary",
                            secret_id);
    }
    if (out->secret_string_len > RS_SM_MAX_SECRET_BYTES || out->secret_binary_len > RS_SM_MAX_SECRET_BYTES) {
        rs_secret_value_free(out);
        return rs_error_set(err, RS_ERR_TOO_LARGE, "secret '%.200s' is larger than 64 KiB", secret_id);
    }
    return RS_OK;
}

rs_status rs_sm_put_secret_value(rs_sm_client *c, const char *secret_id, const char *client_request_token,
                                 const char *secret_string, const char *const *version_stages,
                                 size_t stage_count, const char *rotation_token, rs_error *err)
{
    if (!secret_id || !*secret_id || !client_request_token || strlen(client_request_token) < 32 ||
        strlen(client_request_token) > 64 || !secret_string) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER,
                            "PutSecretValue needs a secret id, a 32-64 character token and a value");
    }
    cJSON *req = cJSON_CreateObject();
    cJSON *stages = NULL;
    bool ok = req && add_string(req, "SecretId", secret_id) &&
              add_string(req, "ClientRequestToken", client_request_token) &&
              add_string(req, "SecretString", secret_string) && add_string(req, "RotationToken", rotation_token);
    if (ok && stage_count > 0) {
        ok = (stages = cJSON_AddArrayToObject(req, "VersionStages")) != NULL;
        for (size_t i = 0; ok && i < stage_count; i++) {
            cJSON *s = cJSON_CreateString(version_stages[i]);
            ok = s && cJSON_AddItemToArray(stages, s);
        }
    }
    if (!ok) {
        cJSON_Delete(req);
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    cJSON *resp = NULL;
    rs_status st = call_json(c, "PutSecretValue", req, &resp, err);
    cJSON_Delete(req);
    cJSON_Delete(resp);
    return st;
}

void rs_secret_description_free(rs_secret_description *d)
{
    free(d->arn);
    free(d->name);
    free(d->rotation_lambda_arn);
    for (size_t i = 0; i < d->version_count; i++) {
        free(d->versions[i].version_id);
        free_string_array(d->versions[i].stages, d->versions[i].stage_count);
    }
    free(d->versions);
    memset(d, 0, sizeof(*d));
}

const char *rs_secret_description_version_with_stage(const rs_secret_description *d, const char *stage)
{
    for (size_t i = 0; i < d->version_count; i++) {
        for (size_t j = 0; j < d->versions[i].stage_count; j++) {
            if (strcmp(d->versions[i].stages[j], stage) == 0) {
                return d->versions[i].version_id;
            }
        }
    }
    return NULL;
}

rs_status rs_sm_describe_secret(rs_sm_client *c, const char *secret_id, rs_secret_description *out, rs_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!secret_id || !*secret_id) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "DescribeSecret needs a secret id");
    }
    cJSON *req = cJSON_CreateObject();
    if (!req || !add_string(req, "SecretId", secret_id)) {
        cJSON_Delete(req);
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    cJSON *resp = NULL;
    rs_status st = call_json(c, "DescribeSecret", req, &resp, err);
    cJSON_Delete(req);
    if (st != RS_OK) {
        return st;
    }
    out->arn = dup_json_string(resp, "ARN");
    out->name = dup_json_string(resp, "Name");
    out->rotation_lambda_arn = dup_json_string(resp, "RotationLambdaARN");
    out->rotation_enabled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "RotationEnabled"));
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(resp, "VersionIdsToStages");
    bool ok = true;
    if (cJSON_IsObject(map)) {
        size_t n = (size_t)cJSON_GetArraySize(map);
        out->versions = n ? calloc(n, sizeof(*out->versions)) : NULL;
        ok = n == 0 || out->versions != NULL;
        const cJSON *entry;
        cJSON_ArrayForEach(entry, map) {
            if (!ok) {
                break;
            }
            rs_secret_version_stages *v = &out->versions[out->version_count];
            v->version_id = strdup(entry->string);
            ok = v->version_id && dup_string_array(entry, &v->stages, &v->stage_count);
            out->version_count++;
        }
    } else if (map) {
        ok = false;
    }
    cJSON_Delete(resp);
    if (!ok || !out->arn) {
        rs_secret_description_free(out);
        return rs_error_set(err, RS_ERR_MALFORMED, "Secrets Manager DescribeSecret for '%.200s' answered malformed",
                            secret_id);
    }
    return RS_OK;
}

rs_status rs_sm_update_secret_version_stage(rs_sm_client *c, const char *secret_id, const char *stage,
                                            const char *move_to_version_id, const char *remove_from_version_id,
                                            rs_error *err)
{
    if (!secret_id || !*secret_id || !stage || !*stage) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "UpdateSecretVersionStage needs a secret id and a stage");
    }
    cJSON *req = cJSON_CreateObject();
    if (!req || !add_string(req, "SecretId", secret_id) || !add_string(req, "VersionStage", stage) ||
        !add_string(req, "MoveToVersionId", move_to_version_id) ||
        !add_string(req, "RemoveFromVersionId", remove_from_version_id)) {
        cJSON_Delete(req);
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    cJSON *resp = NULL;
    rs_status st = call_json(c, "UpdateSecretVersionStage", req, &resp, err);
    cJSON_Delete(req);
    cJSON_Delete(resp);
    return st;
}

rs_status rs_sm_get_random_password(rs_sm_client *c, const rs_random_password_options *opts, char **out_password,
                                    rs_error *err)
{
    *out_password = NULL;
    int length = opts && opts->length ? opts->length : 32;
    if (length < 1 || length > 4096) {
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "password length must be 1 to 4096");
    }
    cJSON *req = cJSON_CreateObject();
    bool ok = req && cJSON_AddNumberToObject(req, "PasswordLength", length);
    if (ok && opts) {
        ok = add_string(req, "ExcludeCharacters", opts->exclude_characters) &&
             cJSON_AddBoolToObject(req, "ExcludeNumbers", opts->exclude_numbers) &&
             cJSON_AddBoolToObject(req, "ExcludePunctuation", opts->exclude_punctuation) &&
             cJSON_AddBoolToObject(req, "ExcludeUppercase", opts->exclude_uppercase) &&
             cJSON_AddBoolToObject(req, "ExcludeLowercase", opts->exclude_lowercase) &&
             cJSON_AddBoolToObject(req, "IncludeSpace", opts->include_space) &&
             cJSON_AddBoolToObject(req, "RequireEachIncludedType", opts->require_each_included_type);
    }
    if (!ok) {
        cJSON_Delete(req);
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    cJSON *resp = NULL;
    rs_status st = call_json(c, "GetRandomPassword", req, &resp, err);
    cJSON_Delete(req);
    if (st != RS_OK) {
        return st;
    }
    const cJSON *pw = cJSON_GetObjectItemCaseSensitive(resp, "RandomPassword");
    if (cJSON_IsString(pw) && pw->valuestring && strlen(pw->valuestring) == (size_t)length) {
        *out_password = strdup(pw->valuestring);
    }
    cJSON_Delete(resp);
    if (!*out_password) {
        return rs_error_set(err, RS_ERR_MALFORMED,
                            "Secrets Manager GetRandomPassword answered without a password of the asked length");
    }
    return RS_OK;
}
