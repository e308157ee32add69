/* Error records: a message may be built from the record's own message (a cause prefixed), and stays one
 * printable line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "error.h"

static void prefix_own_message(void **state)
{
    (void)state;
    rs_error err;
    rs_error_clear(&err);
    rs_error_set(&err, RS_ERR_CONNECT, "invalid port in %s", "http://127.0.0.1:99999");
    /* This overlapped source and destination in one vsnprintf (garbled: "X: X: ty port"). */
    rs_error_set(&err, RS_ERR_CONFIG, "%s: %s", "AWS_ENDPOINT_URL_SECRETS_MANAGER", err.message);
    assert_int_equal(err.status, RS_ERR_CONFIG);
    assert_string_equal(err.message, "AWS_ENDPOINT_URL_SECRETS_MANAGER: invalid port in http://127.0.0.1:99999");
    rs_error_set(&err, err.status, "%s (and %s)", err.message, err.message);
    assert_string_equal(err.message, "AWS_ENDPOINT_URL_SECRETS_MANAGER: invalid port in http://127.0.0.1:99999 (and "
                                     "AWS_ENDPOINT_URL_SECRETS_MANAGER: invalid port in http://127.0.0.1:99999)");
}

static void one_printable_line_bounded(void **state)
{
    (void)state;
    rs_error err;
    char long_text[2000];
    memset(long_text, 'x', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    assert_int_equal(rs_error_set(&err, RS_ERR_MALFORMED, "a\nb\r\x01%s", long_text), RS_ERR_MALFORMED);
    assert_int_equal(strlen(err.message), sizeof(err.message) - 1);
    assert_memory_equal(err.message, "a?b??x", 6);
    assert_int_equal(rs_error_set(NULL, RS_ERR_TIMEOUT, "ignored"), RS_ERR_TIMEOUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prefix_own_message),
        cmocka_unit_test(one_printable_line_bounded),
    };
    return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
