/* Secrets Manager client: endpoint resolution, error mapping and retry policy as units, then every
 * operation and every fault against the fake AWS (plain http on loopback, and HTTPS with a local CA). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_aws_helper.h"
#include "http.h"
#include "sm.h"

#define FAKE_KEY_ID "AKIDFAKEEXAMPLE"
#define FAKE_SECRET_KEY "fakeSecretKeyForTestsOnly/0123456789ABCD"
/* Every byte a PHP file or shell would choke on, plus control characters and multi-byte UTF-8. */
static const char TRICKY_SECRET[] =
    "p\"a'ss\\w$or`d{}\n\r\t\x01\x1f\x7f caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91 %s%n <>&;|";

static fake_aws fake;
static fake_aws fake_tls;
static fake_aws fake_wrong_tls;
static char tls_dir[128];

/* --- units ----------------------------------------------------------------------------------------- */

static void endpoint_from_region(void **state)
{
    (void)state;
    char out[256];
    rs_error err;
    test_unsetenv("AWS_ENDPOINT_URL");
    test_unsetenv("AWS_ENDPOINT_URL_SECRETS_MANAGER");
    test_unsetenv("AWS_USE_FIPS_ENDPOINT");
    assert_int_equal(rs_sm_resolve_endpoint(NULL, "eu-west-1", out, sizeof(out), &err), RS_OK);
    assert_string_equal(out, "https://secretsmanager.eu-west-1.amazonaws.com");
    assert_int_equal(rs_sm_resolve_endpoint(NULL, "cn-north-1", out, sizeof(out), &err), RS_OK);
    assert_string_equal(out, "https://secretsmanager.cn-north-1.amazonaws.com.cn");
    test_setenv("AWS_USE_FIPS_ENDPOINT", "true", 1);
    assert_int_equal(rs_sm_resolve_endpoint(NULL, "us-east-2", out, sizeof(out), &err), RS_OK);
    assert_string_equal(out, "https://secretsmanager-fips.us-east-2.amazonaws.com");
    test_unsetenv("AWS_USE_FIPS_ENDPOINT");
    assert_int_equal(rs_sm_resolve_endpoint(NULL, NULL, out, sizeof(out), &err), RS_ERR_NO_REGION);
    assert_non_null(strstr(err.message, "rdssecret.region"));
    assert_int_equal(rs_sm_resolve_endpoint(NULL, "us-east-1.evil.com/", out, sizeof(out), &err), RS_ERR_CONFIG);
    assert_int_equal(rs_sm_resolve_endpoint(NULL, "US-EAST-1", out, sizeof(out), &err), RS_ERR_CONFIG);
}

static void endpoint_overrides_in_order(void **state)
{
    (void)state;
    char out[256];
    rs_error err;
    test_setenv("AWS_ENDPOINT_URL", "https://general.example", 1);
    assert_int_equal(rs_sm_resolve_endpoint(NULL, "us-east-1", out, sizeof(out), &err), RS_OK);
    assert_string_equal(out, "https://general.example");
    test_setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "https://vpce-1.secretsmanager.example", 1);
    assert_int_equal(rs_sm_resolve_endpoint(NULL, "us-east-1", out, sizeof(out), &err), RS_OK);
    assert_string_equal(out, "https://vpce-1.secretsmanager.example");
    assert_int_equal(rs_sm_resolve_endpoint("https://explicit.example:8443", "us-east-1", out, sizeof(out), &err),
                     RS_OK);
    assert_string_equal(out, "https://explicit.example:8443");
    test_unsetenv("AWS_ENDPOINT_URL");
    test_unsetenv("AWS_ENDPOINT_URL_SECRETS_MANAGER");
}

static void endpoint_plain_http_only_on_loopback(void **state)
{
    (void)state;
    char out[256];
    rs_error err;
    assert_int_equal(rs_sm_resolve_endpoint("http://127.0.0.1:8080", "us-east-1", out, sizeof(out), &err), RS_OK);
    assert_int_equal(rs_sm_resolve_endpoint("http://[::1]:8080", "us-east-1", out, sizeof(out), &err), RS_OK);
    assert_int_equal(rs_sm_resolve_endpoint("http://localhost:8080", "us-east-1", out, sizeof(out), &err), RS_OK);
    assert_int_equal(rs_sm_resolve_endpoint("http://secretsmanager.example", "us-east-1", out, sizeof(out), &err),
                     RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "https://"));
    assert_int_equal(rs_sm_resolve_endpoint("http://10.0.0.1", "us-east-1", out, sizeof(out), &err), RS_ERR_CONFIG);
    assert_int_equal(rs_sm_resolve_endpoint("ftp://x.example", "us-east-1", out, sizeof(out), &err), RS_ERR_CONFIG);
    assert_int_equal(rs_sm_resolve_endpoint("https://u:p@x.example", "us-east-1", out, sizeof(out), &err),
                     RS_ERR_CONFIG);
    assert_int_equal(rs_sm_resolve_endpoint("https://x.example/?a=b", "us-east-1", out, sizeof(out), &err),
                     RS_ERR_CONFIG);
}

static void error_code_strips_namespace_and_suffix(void **state)
{
    (void)state;
    char code[64];
    rs_sm_error_code("com.amazonaws.secretsmanager#ResourceNotFoundException", code, sizeof(code));
    assert_string_equal(code, "ResourceNotFoundException");
    rs_sm_error_code("aws.protocoltests.restjson#FooError:http://internal.amazon.com/coral/com.amazon.coral.validate/",
                     code, sizeof(code));
    assert_string_equal(code, "FooError");
    rs_sm_error_code("ThrottlingException", code, sizeof(code));
    assert_string_equal(code, "ThrottlingException");
    rs_sm_error_code("Bad\nCode<script>", code, sizeof(code));
    assert_string_equal(code, "BadCodescript");
    rs_sm_error_code(NULL, code, sizeof(code));
    assert_string_equal(code, "");
}

static void error_code_maps_to_status(void **state)
{
    (void)state;
    assert_int_equal(rs_sm_status_for_code("ResourceNotFoundException", 400), RS_ERR_NOT_FOUND);
    assert_int_equal(rs_sm_status_for_code("AccessDeniedException", 400), RS_ERR_ACCESS_DENIED);
    assert_int_equal(rs_sm_status_for_code("ThrottlingException", 400), RS_ERR_THROTTLED);
    assert_int_equal(rs_sm_status_for_code("InternalServiceError", 500), RS_ERR_SERVICE);
    assert_int_equal(rs_sm_status_for_code("ServiceUnavailable", 503), RS_ERR_SERVICE);
    assert_int_equal(rs_sm_status_for_code("InvalidSignatureException", 403), RS_ERR_AUTH);
    assert_int_equal(rs_sm_status_for_code("InvalidClientTokenId", 403), RS_ERR_AUTH);
    assert_int_equal(rs_sm_status_for_code("ExpiredTokenException", 403), RS_ERR_AUTH);
    assert_int_equal(rs_sm_status_for_code("InvalidParameterException", 400), RS_ERR_INVALID_PARAMETER);
    assert_int_equal(rs_sm_status_for_code("InvalidRequestException", 400), RS_ERR_INVALID_REQUEST);
    assert_int_equal(rs_sm_status_for_code("DecryptionFailure", 400), RS_ERR_DECRYPTION);
    assert_int_equal(rs_sm_status_for_code("ResourceExistsException", 400), RS_ERR_CONFLICT);
    assert_int_equal(rs_sm_status_for_code("SomethingNew", 400), RS_ERR_REQUEST_FAILED);
    assert_int_equal(rs_sm_status_for_code("", 502), RS_ERR_SERVICE);
    assert_int_equal(rs_sm_status_for_code("", 429), RS_ERR_THROTTLED);
    assert_string_equal(rs_status_name(RS_ERR_NOT_FOUND), "not_found");
}

static void retry_policy(void **state)
{
    (void)state;
    assert_true(rs_sm_is_retryable(RS_ERR_THROTTLED, "ThrottlingException", 400));
    assert_true(rs_sm_is_retryable(RS_ERR_SERVICE, "InternalServiceError", 500));
    assert_true(rs_sm_is_retryable(RS_ERR_CONNECT, NULL, 0));
    assert_true(rs_sm_is_retryable(RS_ERR_TIMEOUT, NULL, 0));
    assert_true(rs_sm_is_retryable(RS_ERR_REQUEST_FAILED, "", 504));
    assert_false(rs_sm_is_retryable(RS_ERR_TLS, NULL, 0));
    assert_false(rs_sm_is_retryable(RS_ERR_TOO_LARGE, NULL, 0));
    assert_false(rs_sm_is_retryable(RS_ERR_MALFORMED, NULL, 200));
    assert_false(rs_sm_is_retryable(RS_ERR_NOT_FOUND, "ResourceNotFoundException", 400));
    assert_false(rs_sm_is_retryable(RS_ERR_ACCESS_DENIED, "AccessDeniedException", 400));
    assert_false(rs_sm_is_retryable(RS_ERR_AUTH, "InvalidSignatureException", 403));
}

static void backoff_is_full_jitter_capped(void **state)
{
    (void)state;
    assert_int_equal(rs_sm_backoff_ms(1, 50, 20000, 1.0), 100);
    assert_int_equal(rs_sm_backoff_ms(2, 50, 20000, 1.0), 200);
    assert_int_equal(rs_sm_backoff_ms(3, 50, 20000, 0.5), 200);
    assert_int_equal(rs_sm_backoff_ms(1, 50, 20000, 0.0), 0);
    assert_int_equal(rs_sm_backoff_ms(30, 50, 20000, 1.0), 20000);
    assert_int_equal(rs_sm_backoff_ms(1000, 50, 20000, 1.0), 20000);
    assert_int_equal(rs_sm_backoff_ms(2, 50, 20000, 7.0), 200);  /* random clamped to [0,1] */
    for (int i = 0; i < 100; i++) {
        long d = rs_sm_backoff_ms(4, 100, 1000, (double)i / 99.0);
        assert_true(d >= 0 && d <= 1000);
    }
}

/* --- against the fake ------------------------------------------------------------------------------ */

typedef struct {
    rs_creds_provider creds;
    rs_sm_client client;
} sm_fixture;

static int use_env_credentials(void)
{
    test_setenv("AWS_ACCESS_KEY_ID", FAKE_KEY_ID, 1);
    test_setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_KEY, 1);
    test_unsetenv("AWS_SESSION_TOKEN");
    return 0;
}

static void fixture_init(sm_fixture *fx, const char *endpoint, const char *ca_file, long timeout_ms)
{
    rs_creds_config cc;
    memset(&cc, 0, sizeof(cc));
    rs_creds_provider_init(&fx->creds, &cc);
    rs_sm_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.region = "us-east-1";
    cfg.endpoint = endpoint;
    cfg.ca_file = ca_file;
    cfg.timeout_ms = timeout_ms;
    cfg.connect_timeout_ms = 1000;
    cfg.backoff_base_ms = 5;
    cfg.backoff_max_ms = 50;
    cfg.creds = &fx->creds;
    rs_error err;
    assert_int_equal(rs_sm_client_init(&fx->client, &cfg, &err), RS_OK);
}

static int per_test_setup(void **state)
{
    sm_fixture *fx = calloc(1, sizeof(*fx));
    use_env_credentials();
    assert_int_equal(fake_aws_control(&fake, "reset", NULL, NULL), 200);
    fixture_init(fx, fake.base_url, NULL, 2000);
    *state = fx;
    return 0;
}

static int per_test_teardown(void **state)
{
    sm_fixture *fx = *state;
    rs_creds_provider_destroy(&fx->creds);
    free(fx);
    return 0;
}

static void put_fixture(const fake_aws *f, const char *name, const char *value_json_string)
{
    char body[4096];
    snprintf(body, sizeof(body), "{\"Name\": \"%s\", \"SecretString\": %s}", name, value_json_string);
    assert_int_equal(fake_aws_control(f, "put_secret", body, NULL), 200);
}

static void fault(const char *json)
{
    assert_int_equal(fake_aws_control(&fake, "fault", json, NULL), 200);
}

/* No error message may ever carry a secret value. */
static void assert_message_clean(const rs_error *err)
{
    assert_null(strstr(err->message, "hunter2"));
    assert_null(strstr(err->message, FAKE_SECRET_KEY));
}

static void get_secret_value_returns_tricky_bytes_identical(void **state)
{
    sm_fixture *fx = *state;
    /* Build the JSON string with cJSON-free escaping by hand: the fixture goes through the control API. */
    char escaped[1024];
    size_t j = 0;
    escaped[j++] = '"';
    for (const unsigned char *p = (const unsigned char *)TRICKY_SECRET; *p; p++) {
        if (*p == '"' || *p == '\\') {
            escaped[j++] = '\\';
            escaped[j++] = (char)*p;
        } else if (*p < 0x20 || *p == 0x7f) {
            j += (size_t)snprintf(escaped + j, sizeof(escaped) - j, "\\u%04x", *p);
        } else {
            escaped[j++] = (char)*p;
        }
    }
    escaped[j++] = '"';
    escaped[j] = '\0';
    put_fixture(&fake, "app/tricky", escaped);

    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/tricky", NULL, NULL, &v, &err), RS_OK);
    assert_int_equal(v.secret_string_len, strlen(TRICKY_SECRET));
    assert_memory_equal(v.secret_string, TRICKY_SECRET, strlen(TRICKY_SECRET));
    assert_non_null(v.arn);
    assert_non_null(strstr(v.arn, "arn:aws:secretsmanager:"));
    assert_string_equal(v.name, "app/tricky");
    assert_true(strlen(v.version_id) >= 32);
    assert_int_equal(v.version_stage_count, 1);
    assert_string_equal(v.version_stages[0], "AWSCURRENT");
    assert_true(v.created_date > 1.7e9);
    assert_null(v.secret_binary);
    rs_secret_value_free(&v);
    assert_int_equal(fake_aws_count(&fake, "GetSecretValue"), 1);
}

static void secret_with_nul_is_refused_not_cut(void **state)
{
    sm_fixture *fx = *state;
    put_fixture(&fake, "app/nul", "\"before\\u0000after\"");
    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/nul", NULL, NULL, &v, &err), RS_ERR_MALFORMED);
    assert_non_null(strstr(err.message, "NUL"));
    assert_null(strstr(err.message, "before"));
}

static void get_secret_value_binary(void **state)
{
    sm_fixture *fx = *state;
    unsigned char raw[255];
    for (int i = 0; i < 255; i++) {
        raw[i] = (unsigned char)(i + 1);  /* every byte but NUL */
    }
    char b64[400];
    EVP_EncodeBlock((unsigned char *)b64, raw, sizeof(raw));
    char body[600];
    snprintf(body, sizeof(body), "{\"Name\": \"app/binary\", \"SecretBinary\": \"%s\"}", b64);
    assert_int_equal(fake_aws_control(&fake, "put_secret", body, NULL), 200);
    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/binary", NULL, NULL, &v, &err), RS_OK);
    assert_null(v.secret_string);
    assert_int_equal(v.secret_binary_len, sizeof(raw));
    assert_memory_equal(v.secret_binary, raw, sizeof(raw));
    rs_secret_value_free(&v);
}

static void get_secret_value_by_stage_and_version(void **state)
{
    sm_fixture *fx = *state;
    put_fixture(&fake, "app/db", "\"{\\\"password\\\":\\\"first\\\"}\"");
    rs_secret_value first, second, previous, by_id;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/db", NULL, NULL, &first, &err), RS_OK);
    put_fixture(&fake, "app/db", "\"{\\\"password\\\":\\\"second\\\"}\"");
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/db", NULL, "AWSCURRENT", &second, &err), RS_OK);
    assert_string_equal(second.secret_string, "{\"password\":\"second\"}");
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/db", NULL, "AWSPREVIOUS", &previous, &err), RS_OK);
    assert_string_equal(previous.secret_string, "{\"password\":\"first\"}");
    assert_string_equal(previous.version_id, first.version_id);
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/db", first.version_id, NULL, &by_id, &err), RS_OK);
    assert_string_equal(by_id.secret_string, "{\"password\":\"first\"}");
    rs_secret_value_free(&first);
    rs_secret_value_free(&second);
    rs_secret_value_free(&previous);
    rs_secret_value_free(&by_id);
    /* By ARN too. */
    char *answer = NULL;
    fake_aws_control(&fake, "put_secret", "{\"Name\": \"app/arn\", \"SecretString\": \"x\"}", &answer);
    cJSON *json = cJSON_Parse(answer);
    free(answer);
    const char *arn = cJSON_GetObjectItemCaseSensitive(json, "ARN")->valuestring;
    rs_secret_value v;
    assert_int_equal(rs_sm_get_secret_value(&fx->client, arn, NULL, NULL, &v, &err), RS_OK);
    assert_string_equal(v.secret_string, "x");
    rs_secret_value_free(&v);
    cJSON_Delete(json);
}

static void get_secret_value_invalid_arguments(void **state)
{
    sm_fixture *fx = *state;
    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "", NULL, NULL, &v, &err), RS_ERR_INVALID_PARAMETER);
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "x", "short", NULL, &v, &err), RS_ERR_INVALID_PARAMETER);
    assert_int_equal(fake_aws_count(&fake, "total"), 0);
}

static void not_found_is_mapped_and_not_retried(void **state)
{
    sm_fixture *fx = *state;
    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/missing", NULL, NULL, &v, &err), RS_ERR_NOT_FOUND);
    assert_string_equal(err.aws_code, "ResourceNotFoundException");
    assert_int_equal(err.http_status, 400);
    assert_non_null(strstr(err.message, "ResourceNotFoundException"));
    assert_int_equal(fake_aws_count(&fake, "GetSecretValue"), 1);
}

static void access_denied_is_not_retried(void **state)
{
    sm_fixture *fx = *state;
    put_fixture(&fake, "app/db", "\"hunter2\"");
    fault("{\"target\": \"GetSecretValue\", \"kind\": \"error\", \"status\": 400, "
          "\"code\": \"AccessDeniedException\", \"count\": -1}");
    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/db", NULL, NULL, &v, &err), RS_ERR_ACCESS_DENIED);
    assert_string_equal(err.aws_code, "AccessDeniedException");
    assert_int_equal(fake_aws_count(&fake, "GetSecretValue"), 1);
    assert_message_clean(&err);
}

static void throttled_then_succeeds(void **state)
{
    sm_fixture *fx = *state;
    put_fixture(&fake, "app/db", "\"hunter2\"");
    fault("{\"target\": \"GetSecretValue\", \"kind\": \"throttle\", \"count\": 2}");
    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/db", NULL, NULL, &v, &err), RS_OK);
    assert_string_equal(v.secret_string, "hunter2");
    rs_secret_value_free(&v);
    assert_int_equal(fake_aws_count(&fake, "GetSecretValue"), 3);
}

static void throttled_until_attempts_run_out(void **state)
{
    sm_fixture *fx = *state;
    put_fixture(&fake, "app/db", "\"hunter2\"");
    fault("{\"target\": \"*\", \"kind\": \"throttle\", \"count\": -1}");
    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/db", NULL, NULL, &v, &err), RS_ERR_THROTTLED);
    assert_string_equal(err.aws_code, "ThrottlingException");
    assert_non_null(strstr(err.message, "after 3 attempts"));
    assert_int_equal(fake_aws_count(&fake, "GetSecretValue"), 3);
    assert_message_clean(&err);
}

static void server_errors_retried_then_fail(void **state)
{
    sm_fixture *fx = *state;
    put_fixture(&fake, "app/db", "\"hunter2\"");
    fault("{\"target\": \"GetSecretValue\", \"kind\": \"status\", \"status\": 500, \"count\": -1}");
    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/db", NULL, NULL, &v, &err), RS_ERR_SERVICE);
    assert_int_equal(err.http_status, 500);
    assert_int_equal(fake_aws_count(&fake, "GetSecretValue"), 3);
    fake_aws_control(&fake, "clear_faults", NULL, NULL);
    fault("{\"target\": \"GetSecretValue\", \"kind\": \"status\", \"status\": 503, \"count\": 1}");
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/db", NULL, NULL, &v, &err), RS_OK);
    rs_secret_value_free(&v);
    assert_int_equal(fake_aws_count(&fake, "GetSecretValue"), 5);
}

static void timeout_is_retried_and_reported(void **state)
{
    sm_fixture *fx = *state;
    put_fixture(&fake, "app/db", "\"hunter2\"");
    rs_sm_client slow = fx->client;
    slow.config.timeout_ms = 300;
    slow.config.max_attempts = 2;
    fault("{\"target\": \"GetSecretValue\", \"kind\": \"delay\", \"delay_ms\": 1500, \"count\": -1}");
    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&slow, "app/db", NULL, NULL, &v, &err), RS_ERR_TIMEOUT);
    assert_int_equal(fake_aws_count(&fake, "GetSecretValue"), 2);
    fake_aws_control(&fake, "clear_faults", NULL, NULL);
    fault("{\"target\": \"GetSecretValue\", \"kind\": \"delay\", \"delay_ms\": 1500, \"count\": 1}");
    assert_int_equal(rs_sm_get_secret_value(&slow, "app/db", NULL, NULL, &v, &err), RS_OK);
    assert_string_equal(v.secret_string, "hunter2");
    rs_secret_value_free(&v);
}

/* The whole call has a budget: attempts and pauses stop when it is spent, the last attempt cut to what is left. */
static void total_budget_bounds_the_attempts(void **state)
{
    sm_fixture *fx = *state;
    put_fixture(&fake, "app/db", "\"hunter2\"");
    rs_sm_client slow = fx->client;
    slow.config.timeout_ms = 400;
    slow.config.max_attempts = 5;
    slow.config.total_timeout_ms = 700;  /* room for one full attempt and a cut one, never three */
    assert_int_equal(rs_sm_budget_ms(&slow), 700);
    fault("{\"target\": \"GetSecretValue\", \"kind\": \"delay\", \"delay_ms\": 1500, \"count\": -1}");
    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&slow, "app/db", NULL, NULL, &v, &err), RS_ERR_TIMEOUT);
    assert_int_equal(fake_aws_count(&fake, "GetSecretValue"), 2);
    assert_non_null(strstr(err.message, "budget"));
    fake_aws_control(&fake, "clear_faults", NULL, NULL);

    /* Without a total, the budget is the worst case of the configured attempts (two extra for a skew
     * correction and fresh credentials) and their largest pauses. */
    slow.config.total_timeout_ms = 0;
    slow.config.max_attempts = 3;
    slow.config.connect_timeout_ms = 1000;
    slow.config.backoff_base_ms = 50;
    slow.config.backoff_max_ms = 20000;
    assert_int_equal(rs_sm_budget_ms(&slow), 5 * 1000 + 100 + 200);
}

static void malformed_body_is_refused(void **state)
{
    sm_fixture *fx = *state;
    put_fixture(&fake, "app/db", "\"hunter2\"");
    fault("{\"target\": \"GetSecretValue\", \"kind\": \"malformed\", \"count\": 1}");
    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/db", NULL, NULL, &v, &err), RS_ERR_MALFORMED);
    assert_int_equal(fake_aws_count(&fake, "GetSecretValue"), 1);
}

static void oversize_body_is_refused_before_buffering(void **state)
{
    sm_fixture *fx = *state;
    put_fixture(&fake, "app/db", "\"hunter2\"");
    fault("{\"target\": \"GetSecretValue\", \"kind\": \"oversize\", \"size\": 8388608, \"count\": 1}");
    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/db", NULL, NULL, &v, &err), RS_ERR_TOO_LARGE);
    fault("{\"target\": \"GetSecretValue\", \"kind\": \"oversize_chunked\", \"size\": 8388608, \"count\": 1}");
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/db", NULL, NULL, &v, &err), RS_ERR_TOO_LARGE);
    assert_non_null(strstr(err.message, "larger than"));
    assert_int_equal(fake_aws_count(&fake, "GetSecretValue"), 2);
}

static void dropped_connection_is_retried(void **state)
{
    sm_fixture *fx = *state;
    put_fixture(&fake, "app/db", "\"hunter2\"");
    fault("{\"target\": \"GetSecretValue\", \"kind\": \"drop\", \"count\": 1}");
    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/db", NULL, NULL, &v, &err), RS_OK);
    rs_secret_value_free(&v);
    assert_int_equal(fake_aws_count(&fake, "GetSecretValue"), 2);
    fault("{\"target\": \"GetSecretValue\", \"kind\": \"drop\", \"count\": -1}");
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/db", NULL, NULL, &v, &err), RS_ERR_CONNECT);
    assert_int_equal(fake_aws_count(&fake, "GetSecretValue"), 5);
}

static void connection_refused_is_a_connect_error(void **state)
{
    (void)state;
    sm_fixture fx;
    fixture_init(&fx, "http://127.0.0.1:1", NULL, 500);
    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&fx.client, "app/db", NULL, NULL, &v, &err), RS_ERR_CONNECT);
    assert_int_equal(fx.client.attempts_total, 3);
    rs_creds_provider_destroy(&fx.creds);
}

static void clock_skew_is_corrected_once(void **state)
{
    sm_fixture *fx = *state;
    put_fixture(&fake, "app/db", "\"hunter2\"");
    assert_int_equal(fake_aws_control(&fake, "clock", "{\"skew_seconds\": 3600}", NULL), 200);
    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/db", NULL, NULL, &v, &err), RS_OK);
    rs_secret_value_free(&v);
    assert_true(fx->client.clock_offset > 3500 && fx->client.clock_offset < 3700);
    assert_int_equal(fake_aws_count(&fake, "GetSecretValue"), 2);
    assert_int_equal(fake_aws_count(&fake, "signature_rejected"), 1);
    /* The learnt offset is kept: the next call is right the first time. */
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/db", NULL, NULL, &v, &err), RS_OK);
    rs_secret_value_free(&v);
    assert_int_equal(fake_aws_count(&fake, "GetSecretValue"), 3);
}

static void wrong_secret_key_is_an_auth_error(void **state)
{
    sm_fixture *fx = *state;
    put_fixture(&fake, "app/db", "\"hunter2\"");
    test_setenv("AWS_SECRET_ACCESS_KEY", "not-the-right-key", 1);
    rs_creds_provider_invalidate(&fx->creds);
    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/db", NULL, NULL, &v, &err), RS_ERR_AUTH);
    assert_string_equal(err.aws_code, "InvalidSignatureException");
    assert_null(strstr(err.message, "not-the-right-key"));
    assert_int_equal(fake_aws_count(&fake, "signature_rejected"), 1);
    test_setenv("AWS_ACCESS_KEY_ID", "AKIDUNKNOWN", 1);
    rs_creds_provider_invalidate(&fx->creds);
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/db", NULL, NULL, &v, &err), RS_ERR_AUTH);
}

static void put_describe_stage_and_random_password(void **state)
{
    sm_fixture *fx = *state;
    put_fixture(&fake, "app/rotating", "\"{\\\"password\\\":\\\"old\\\"}\"");
    rs_error err;
    const char *token = "0123456789abcdef0123456789abcdef";
    const char *pending[] = {"AWSPENDING"};
    assert_int_equal(rs_sm_put_secret_value(&fx->client, "app/rotating", token, "{\"password\":\"new\"}", pending, 1,
                                            NULL, &err),
                     RS_OK);
    /* Same token, same data: idempotent. Same token, other data: conflict. */
    assert_int_equal(rs_sm_put_secret_value(&fx->client, "app/rotating", token, "{\"password\":\"new\"}", pending, 1,
                                            NULL, &err),
                     RS_OK);
    assert_int_equal(rs_sm_put_secret_value(&fx->client, "app/rotating", token, "{\"password\":\"other\"}", pending,
                                            1, NULL, &err),
                     RS_ERR_CONFLICT);
    assert_null(strstr(err.message, "other"));

    rs_secret_description d;
    assert_int_equal(rs_sm_describe_secret(&fx->client, "app/rotating", &d, &err), RS_OK);
    assert_int_equal(d.version_count, 2);
    assert_string_equal(rs_secret_description_version_with_stage(&d, "AWSPENDING"), token);
    char *old = strdup(rs_secret_description_version_with_stage(&d, "AWSCURRENT"));
    assert_null(rs_secret_description_version_with_stage(&d, "AWSPREVIOUS"));
    rs_secret_description_free(&d);

    assert_int_equal(rs_sm_update_secret_version_stage(&fx->client, "app/rotating", "AWSCURRENT", token, old, &err),
                     RS_OK);
    assert_int_equal(rs_sm_describe_secret(&fx->client, "app/rotating", &d, &err), RS_OK);
    assert_string_equal(rs_secret_description_version_with_stage(&d, "AWSCURRENT"), token);
    assert_string_equal(rs_secret_description_version_with_stage(&d, "AWSPREVIOUS"), old);
    rs_secret_description_free(&d);
    free(old);

    rs_secret_value v;
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/rotating", NULL, NULL, &v, &err), RS_OK);
    assert_string_equal(v.secret_string, "{\"password\":\"new\"}");
    rs_secret_value_free(&v);

    rs_random_password_options opts = {.length = 40, .exclude_characters = "/@\"'\\",
                                       .require_each_included_type = true};
    char *pw = NULL;
    assert_int_equal(rs_sm_get_random_password(&fx->client, &opts, &pw, &err), RS_OK);
    assert_int_equal(strlen(pw), 40);
    assert_null(strpbrk(pw, "/@\"'\\"));
    rs_secure_free(pw);
    opts = (rs_random_password_options){.length = 20, .exclude_punctuation = true, .exclude_uppercase = true};
    assert_int_equal(rs_sm_get_random_password(&fx->client, &opts, &pw, &err), RS_OK);
    for (const char *p = pw; *p; p++) {
        assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'));
    }
    rs_secure_free(pw);
    opts.length = 5000;
    assert_int_equal(rs_sm_get_random_password(&fx->client, &opts, &pw, &err), RS_ERR_INVALID_PARAMETER);
}

static void pending_without_value_is_not_found(void **state)
{
    sm_fixture *fx = *state;
    put_fixture(&fake, "app/rot", "\"v1\"");
    /* RotateSecret makes an AWSPENDING version with no value yet. */
    char *resp = NULL;
    rs_error err;
    assert_int_equal(rs_sm_call(&fx->client, "RotateSecret",
                                "{\"SecretId\":\"app/rot\",\"ClientRequestToken\":\"fedcba9876543210fedcba9876543210\"}",
                                &resp, NULL, &err),
                     RS_OK);
    rs_secure_free(resp);
    rs_secret_value v;
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/rot", NULL, "AWSPENDING", &v, &err), RS_ERR_NOT_FOUND);
    assert_int_equal(rs_sm_get_secret_value(&fx->client, "app/rot", NULL, NULL, &v, &err), RS_OK);
    assert_string_equal(v.secret_string, "v1");
    rs_secret_value_free(&v);
}

static void expired_temporary_credentials_are_refreshed(void **state)
{
    (void)state;
    /* Credentials from IMDS (the fake), then the fake declares them expired: one refresh, then success. */
    test_unsetenv("AWS_ACCESS_KEY_ID");
    test_unsetenv("AWS_SECRET_ACCESS_KEY");
    test_unsetenv("AWS_EC2_METADATA_DISABLED");
    test_setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    test_setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
    put_fixture(&fake, "app/db", "\"hunter2\"");
    sm_fixture fx;
    rs_creds_config cc;
    memset(&cc, 0, sizeof(cc));
    cc.imds_endpoint = fake.base_url;
    rs_creds_provider_init(&fx.creds, &cc);
    rs_sm_config cfg = {.region = "us-east-1", .endpoint = fake.base_url, .backoff_base_ms = 5, .creds = &fx.creds};
    rs_error err;
    assert_int_equal(rs_sm_client_init(&fx.client, &cfg, &err), RS_OK);
    rs_secret_value v;
    assert_int_equal(rs_sm_get_secret_value(&fx.client, "app/db", NULL, NULL, &v, &err), RS_OK);
    rs_secret_value_free(&v);
    assert_string_equal(fx.creds.cached.source, "imds");
    assert_int_equal(fake_aws_count(&fake, "imds_credentials"), 1);
    assert_int_equal(fake_aws_control(&fake, "expire_credentials", NULL, NULL), 200);
    assert_int_equal(rs_sm_get_secret_value(&fx.client, "app/db", NULL, NULL, &v, &err), RS_OK);
    assert_string_equal(v.secret_string, "hunter2");
    rs_secret_value_free(&v);
    assert_int_equal(fake_aws_count(&fake, "imds_credentials"), 2);
    assert_int_equal(fake_aws_count(&fake, "GetSecretValue"), 3);
    rs_creds_provider_destroy(&fx.creds);
    test_unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    test_unsetenv("AWS_CONFIG_FILE");
    test_setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static void https_with_local_ca(void **state)
{
    (void)state;
    char ca[256];
    snprintf(ca, sizeof(ca), "%s/ca.pem", tls_dir);
    put_fixture(&fake_tls, "app/tls", "\"hunter2\"");
    sm_fixture fx;
    fixture_init(&fx, fake_tls.tls_url, ca, 2000);
    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&fx.client, "app/tls", NULL, NULL, &v, &err), RS_OK);
    assert_string_equal(v.secret_string, "hunter2");
    rs_secret_value_free(&v);
    /* Without the CA, the system bundle does not trust the fake: a TLS error, not retried. */
    sm_fixture untrusted;
    fixture_init(&untrusted, fake_tls.tls_url, NULL, 2000);
    long before = fake_aws_count(&fake_tls, "total");
    assert_int_equal(rs_sm_get_secret_value(&untrusted.client, "app/tls", NULL, NULL, &v, &err), RS_ERR_TLS);
    assert_int_equal(untrusted.client.attempts_total, 1);
    assert_int_equal(fake_aws_count(&fake_tls, "total"), before);
    rs_creds_provider_destroy(&fx.creds);
    rs_creds_provider_destroy(&untrusted.creds);
}

static void certificate_for_wrong_host_is_refused_and_never_retried_in_plain_text(void **state)
{
    (void)state;
    char ca[256];
    snprintf(ca, sizeof(ca), "%s/ca.pem", tls_dir);
    put_fixture(&fake_wrong_tls, "app/tls", "\"hunter2\"");
    sm_fixture fx;
    fixture_init(&fx, fake_wrong_tls.tls_url, ca, 2000);
    rs_secret_value v;
    rs_error err;
    assert_int_equal(rs_sm_get_secret_value(&fx.client, "app/tls", NULL, NULL, &v, &err), RS_ERR_TLS);
    assert_int_equal(fx.client.attempts_total, 1);
    /* Nothing reached the fake on either listener: no plain-text fallback. */
    assert_int_equal(fake_aws_count(&fake_wrong_tls, "total"), 0);
    assert_message_clean(&err);
    rs_creds_provider_destroy(&fx.creds);
}

static int group_setup(void **state)
{
    (void)state;
    rs_error err;
    rs_http_global_init(&err);
    test_setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    test_unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    test_unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    test_unsetenv("AWS_PROFILE");
    use_env_credentials();
    if (fake_aws_start(&fake, NULL) != 0 || test_make_tls_files(tls_dir, sizeof(tls_dir)) != 0) {
        return -1;
    }
    char args[512];
    snprintf(args, sizeof(args), "--tls-cert %s/server.pem --tls-key %s/server.key", tls_dir, tls_dir);
    if (fake_aws_start(&fake_tls, args) != 0) {
        return -1;
    }
    snprintf(args, sizeof(args), "--tls-cert %s/wrong.pem --tls-key %s/wrong.key", tls_dir, tls_dir);
    return fake_aws_start(&fake_wrong_tls, args);
}

static int group_teardown(void **state)
{
    (void)state;
    fake_aws_stop(&fake);
    fake_aws_stop(&fake_tls);
    fake_aws_stop(&fake_wrong_tls);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tls_dir);
    return system(cmd) == 0 ? 0 : -1;
}

#define FAKE_TEST(f) cmocka_unit_test_setup_teardown(f, per_test_setup, per_test_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(endpoint_from_region),
        cmocka_unit_test(endpoint_overrides_in_order),
        cmocka_unit_test(endpoint_plain_http_only_on_loopback),
        cmocka_unit_test(error_code_strips_namespace_and_suffix),
        cmocka_unit_test(error_code_maps_to_status),
        cmocka_unit_test(retry_policy),
        cmocka_unit_test(backoff_is_full_jitter_capped),
        FAKE_TEST(get_secret_value_returns_tricky_bytes_identical),
        FAKE_TEST(secret_with_nul_is_refused_not_cut),
        FAKE_TEST(get_secret_value_binary),
        FAKE_TEST(get_secret_value_by_stage_and_version),
        FAKE_TEST(get_secret_value_invalid_arguments),
        FAKE_TEST(not_found_is_mapped_and_not_retried),
        FAKE_TEST(access_denied_is_not_retried),
        FAKE_TEST(throttled_then_succeeds),
        FAKE_TEST(throttled_until_attempts_run_out),
        FAKE_TEST(server_errors_retried_then_fail),
        FAKE_TEST(timeout_is_retried_and_reported),
        FAKE_TEST(total_budget_bounds_the_attempts),
        FAKE_TEST(malformed_body_is_refused),
        FAKE_TEST(oversize_body_is_refused_before_buffering),
        FAKE_TEST(dropped_connection_is_retried),
        FAKE_TEST(connection_refused_is_a_connect_error),
        FAKE_TEST(clock_skew_is_corrected_once),
        FAKE_TEST(wrong_secret_key_is_an_auth_error),
        FAKE_TEST(put_describe_stage_and_random_password),
        FAKE_TEST(pending_without_value_is_not_found),
        FAKE_TEST(expired_temporary_credentials_are_refreshed),
        FAKE_TEST(https_with_local_ca),
        FAKE_TEST(certificate_for_wrong_host_is_refused_and_never_retried_in_plain_text),
    };
    return cmocka_run_group_tests_name("secrets_manager", tests, group_setup, group_teardown);
}
