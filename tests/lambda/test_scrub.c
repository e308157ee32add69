/* Unit tests (cmocka) for the scrubbing of database server messages (rl_db_scrub): found by fuzzing
 * (tests/fuzz/fuzz_mysql.c, corpus/mysql/scrub-*), a password "***" in a server message made the old code loop
 * for ever, since its own mask recreated the match. Each case must end, and leave no secret in the message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <mysql.h>

#include "mysql_db.h"

static void scrub(rl_db *db, char *msg, size_t size, const char *a, const char *b)
{
    const char *secrets[] = {a, b};
    rl_db_scrub(db, msg, size, secrets, b ? 2 : 1);
}

static void password_that_is_the_mask(void **state)
{
    (void)state;
    char msg[128] = "Access denied for user 'app': password '***' rejected, '***' again";
    scrub(NULL, msg, sizeof(msg), "***", NULL);
    assert_null(strstr(msg, "***"));
    assert_non_null(strstr(msg, "Access denied for user 'app': password '###' rejected"));
}

static void password_holding_the_mask(void **state)
{
    (void)state;
    char msg[128] = "x *xx *x* **x";
    scrub(NULL, msg, sizeof(msg), "*x", NULL);
    assert_null(strstr(msg, "*x"));
    assert_string_equal(msg, "x ###x ###* *###");
}

static void password_holding_every_mask_character(void **state)
{
    (void)state;
    char msg[128] = "a*#?xb *#?x*#?x";
    scrub(NULL, msg, sizeof(msg), "*#?x", NULL);
    assert_null(strstr(msg, "*#?x"));
    assert_non_null(strstr(msg, "a***b"));
}

static void one_mask_making_another_secret(void **state)
{
    (void)state;
    /* Masking "y" with '*' turns "xy" into "x***", which holds the other secret "x*": the message is cut there. */
    char msg[64] = "msg xy end";
    scrub(NULL, msg, sizeof(msg), "x*", "y");
    assert_null(strstr(msg, "x*"));
    assert_null(strstr(msg, "y"));
    assert_string_equal(msg, "msg ");
}

static void short_password_filling_the_buffer(void **state)
{
    (void)state;
    char msg[16] = "ababababababab";
    scrub(NULL, msg, sizeof(msg), "ab", NULL);
    assert_null(strstr(msg, "ab"));
    assert_true(strlen(msg) < sizeof(msg));
}

static void escaped_form_and_quoted_statement(void **state)
{
    (void)state;
    rl_db db;
    memset(&db, 0, sizeof(db));
    db.my = mysql_init(NULL);  /* escaping needs a handle, not a connection */
    assert_non_null(db.my);
    char msg[200] = "bad value it\\'s and it's; You have an error near 'SET PASSWORD = 'it\\'s'' at line 1";
    scrub(&db, msg, sizeof(msg), "it's", NULL);
    assert_null(strstr(msg, "it's"));
    assert_null(strstr(msg, "it\\'s"));
    assert_string_equal(msg, "bad value *** and ***; You have an error near (statement text withheld)");
    mysql_close(db.my);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(password_that_is_the_mask),
        cmocka_unit_test(password_holding_the_mask),
        cmocka_unit_test(password_holding_every_mask_character),
        cmocka_unit_test(one_mask_making_another_secret),
        cmocka_unit_test(short_password_filling_the_buffer),
        cmocka_unit_test(escaped_form_and_quoted_statement),
    };
    return cmocka_run_group_tests_name("rotation function: server message scrubbing", tests, NULL, NULL);
}
