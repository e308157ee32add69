/* The HTTP layer's safety rules: URL parsing, which hosts may be reached over plain http, header
 * injection refused, bounded bodies, and what a transport failure reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fake_aws_helper.h"
#include "http.h"

static fake_aws fake;

static void url_parse_accepts_what_endpoints_look_like(void **state)
{
    (void)state;
    rs_url u;
    rs_error err;
    assert_int_equal(rs_url_parse("https://secretsmanager.eu-west-1.amazonaws.com", &u, &err), RS_OK);
    assert_string_equal(u.scheme, "https");
    assert_string_equal(u.host, "secretsmanager.eu-west-1.amazonaws.com");
    assert_int_equal(u.port, 0);
    assert_string_equal(u.path, "/");
    assert_int_equal(rs_url_parse("HTTP://127.0.0.1:8080/proxy/sm?x=1", &u, &err), RS_OK);
    assert_string_equal(u.scheme, "http");
    assert_int_equal(u.port, 8080);
    assert_string_equal(u.path, "/proxy/sm");
    assert_int_equal(rs_url_parse("http://[::1]:9000", &u, &err), RS_OK);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 9000);
    char host[300];
    rs_url_host_header(&u, host, sizeof(host));
    assert_string_equal(host, "[::1]:9000");
    assert_int_equal(rs_url_parse("http://[fd00:ec2::254]", &u, &err), RS_OK);
    rs_url_host_header(&u, host, sizeof(host));
    assert_string_equal(host, "[fd00:ec2::254]");
}

static void url_parse_refuses_junk(void **state)
{
    (void)state;
    rs_url u;
    rs_error err;
    const char *bad[] = {"", "secretsmanager.amazonaws.com", "ftp://x", "https://", "https://:443",
                         "https://h:0", "https://h:65536", "https://h:12a", "https://user:pw@h", "https://[::1",
                         "https://h:", "https://bad host", "https://h%2f"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (rs_url_parse(bad[i], &u, &err) != RS_ERR_CONFIG) {
            fail_msg("accepted '%s'", bad[i]);
        }
    }
    /* Credentials in a URL never reach an error message. */
    rs_url_parse("https://user:topsecret@h", &u, &err);
    assert_non_null(strstr(err.message, "user information"));
}

static void loopback_and_metadata_hosts(void **state)
{
    (void)state;
    assert_true(rs_host_is_loopback("127.0.0.1"));
    assert_true(rs_host_is_loopback("127.10.0.3"));
    assert_true(rs_host_is_loopback("::1"));
    assert_true(rs_host_is_loopback("0:0:0:0:0:0:0:1"));
    assert_true(rs_host_is_loopback("LOCALHOST"));
    assert_false(rs_host_is_loopback("128.0.0.1"));
    assert_false(rs_host_is_loopback("localhost.example.com"));
    assert_false(rs_host_is_loopback("10.0.0.1"));
    assert_true(rs_host_is_metadata("169.254.169.254"));
    assert_true(rs_host_is_metadata("169.254.170.2"));
    assert_true(rs_host_is_metadata("169.254.170.23"));
    assert_true(rs_host_is_metadata("fd00:ec2::23"));
    assert_true(rs_host_is_metadata("fd00:ec2:0::254"));
    assert_false(rs_host_is_metadata("169.254.169.253"));
    assert_false(rs_host_is_metadata("example.com"));
}

static void plain_http_refused_before_any_connection(void **state)
{
    (void)state;
    rs_http_response resp;
    rs_error err;
    /* 192.0.2.1 is TEST-NET-1: the check must refuse it without sending anything. */
    rs_http_request req = {.method = "GET", .url = "http://192.0.2.1/"};
    assert_int_equal(rs_http_perform(&req, &resp, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "https://"));
    /* The metadata hosts only when the caller asks for that policy; never contacted here. */
    rs_http_request meta = {.method = "GET", .url = "http://169.254.169.254/latest/api/token"};
    assert_int_equal(rs_http_perform(&meta, &resp, &err), RS_ERR_CONFIG);
}

static void header_injection_refused(void **state)
{
    (void)state;
    rs_header headers[] = {{"X-Amz-Security-Token", "abc\r\nX-Evil: 1"}};
    rs_http_request req = {.method = "GET", .url = fake.base_url, .headers = headers, .header_count = 1};
    rs_http_response resp;
    rs_error err;
    assert_int_equal(rs_http_perform(&req, &resp, &err), RS_ERR_INVALID_PARAMETER);
    assert_null(strstr(err.message, "abc"));
    rs_header bad_name[] = {{"X-A: b", "c"}};
    req.headers = bad_name;
    assert_int_equal(rs_http_perform(&req, &resp, &err), RS_ERR_INVALID_PARAMETER);
    assert_int_equal(fake_aws_count(&fake, "total"), 0);
}

static void an_http_answer_is_not_a_transport_error(void **state)
{
    (void)state;
    /* IMDS without a token answers 401: the caller gets the status, not a failure. */
    rs_http_request req = {.method = "GET", .url = NULL, .max_response_bytes = 4096};
    char url[128];
    snprintf(url, sizeof(url), "%s/latest/meta-data/iam/security-credentials/", fake.base_url);
    req.url = url;
    rs_http_response resp;
    rs_error err;
    assert_int_equal(rs_http_perform(&req, &resp, &err), RS_OK);
    assert_int_equal(resp.status, 401);
    assert_non_null(resp.body);
    assert_true(resp.date[0] != '\0');
    rs_http_response_free(&resp);
    assert_null(resp.body);
}

static void body_limit_applies(void **state)
{
    (void)state;
    assert_int_equal(fake_aws_control(&fake, "fault",
                                      "{\"target\": \"imds\", \"kind\": \"oversize_chunked\", \"size\": 100000}", NULL),
                     200);
    char url[128];
    snprintf(url, sizeof(url), "%s/latest/api/token", fake.base_url);
    rs_header ttl[] = {{"X-aws-ec2-metadata-token-ttl-seconds", "60"}};
    rs_http_request req = {.method = "PUT", .url = url, .headers = ttl, .header_count = 1,
                           .max_response_bytes = 1024};
    rs_http_response resp;
    rs_error err;
    assert_int_equal(rs_http_perform(&req, &resp, &err), RS_ERR_TOO_LARGE);
    assert_null(resp.body);
    assert_non_null(strstr(err.message, "larger than 1024 bytes"));
}

static void refused_connection_names_host_and_port(void **state)
{
    (void)state;
    rs_http_request req = {.method = "GET", .url = "http://127.0.0.1:1/x", .connect_timeout_ms = 500};
    rs_http_response resp;
    rs_error err;
    assert_int_equal(rs_http_perform(&req, &resp, &err), RS_ERR_CONNECT);
    assert_non_null(strstr(err.message, "127.0.0.1:1/x"));
}

static int setup(void **state)
{
    (void)state;
    rs_error err;
    rs_http_global_init(&err);
    return fake_aws_start(&fake, NULL);
}

static int teardown(void **state)
{
    (void)state;
    fake_aws_stop(&fake);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(url_parse_accepts_what_endpoints_look_like),
        cmocka_unit_test(url_parse_refuses_junk),
        cmocka_unit_test(loopback_and_metadata_hosts),
        cmocka_unit_test(plain_http_refused_before_any_connection),
        cmocka_unit_test(header_injection_refused),
        cmocka_unit_test(an_http_answer_is_not_a_transport_error),
        cmocka_unit_test(body_limit_applies),
        cmocka_unit_test(refused_connection_names_host_and_port),
    };
    return cmocka_run_group_tests_name("http", tests, setup, teardown);
}
