/* Unit tests (cmocka) for the rotation function's SHOW GRANTS rewriting: MariaDB, MySQL 8 and MySQL 5.7 output
 * forms, so the MySQL-only formats are covered even without a MySQL server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mysql_db.h"

static void expect_rewrite(const char *line, const char *from, const char *to, const char *host, const char *want)
{
    char *out = NULL;
    rs_error err;
    rs_error_clear(&err);
    assert_int_equal(rl_db_rewrite_grant(line, from, to, host, &out, &err), RS_OK);
    assert_string_equal(out, want);
    free(out);
}

static void mariadb_usage_line_drops_password_and_require(void **state)
{
    (void)state;
    expect_rewrite("GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*66F936ECC01641848C0263A8BAE23670D420FB87' "
                   "REQUIRE SSL",
                   "app", "app_clone", "%", "GRANT USAGE ON *.* TO `app_clone`@`%`");
}

static void mariadb_resource_limits_dropped_grant_option_kept(void **state)
{
    (void)state;
    expect_rewrite("GRANT SELECT ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*AB' WITH GRANT OPTION "
                   "MAX_QUERIES_PER_HOUR 10",
                   "app", "app_clone", "%", "GRANT SELECT ON *.* TO `app_clone`@`%` WITH GRANT OPTION");
}

static void mysql8_database_grant_with_grant_option(void **state)
{
    (void)state;
    expect_rewrite("GRANT SELECT, INSERT ON `appdb`.* TO `app`@`10.0.%` WITH GRANT OPTION", "app", "app_clone",
                   "10.0.%", "GRANT SELECT, INSERT ON `appdb`.* TO `app_clone`@`10.0.%` WITH GRANT OPTION");
}

static void mysql8_role_with_admin_option(void **state)
{
    (void)state;
    expect_rewrite("GRANT `reader`@`%` TO `app`@`%` WITH ADMIN OPTION", "app", "app_clone", "%",
                   "GRANT `reader`@`%` TO `app_clone`@`%` WITH ADMIN OPTION");
}

static void mysql8_dynamic_privilege(void **state)
{
    (void)state;
    expect_rewrite("GRANT APPLICATION_PASSWORD_ADMIN ON *.* TO `app`@`%`", "app", "app_clone", "%",
                   "GRANT APPLICATION_PASSWORD_ADMIN ON *.* TO `app_clone`@`%`");
}

static void mysql57_single_quoted_grantee(void **state)
{
    (void)state;
    expect_rewrite("GRANT SELECT ON `appdb`.* TO 'app'@'%'", "app", "app_clone", "%",
                   "GRANT SELECT ON `appdb`.* TO `app_clone`@`%`");
    expect_rewrite("GRANT PROXY ON ''@'' TO 'app'@'localhost' WITH GRANT OPTION", "app", "app_clone", "localhost",
                   "GRANT PROXY ON ''@'' TO `app_clone`@`localhost` WITH GRANT OPTION");
}

static void mariadb_default_role(void **state)
{
    (void)state;
    expect_rewrite("SET DEFAULT ROLE `approle` FOR `app`@`127.0.0.1`", "app", "app_clone", "127.0.0.1",
                   "SET DEFAULT ROLE `approle` FOR `app_clone`@`127.0.0.1`");
}

static void only_the_grantee_is_replaced(void **state)
{
    (void)state;
    /* The user's name as a database and as a role name stays; the grantee at the end changes. */
    expect_rewrite("GRANT ALL PRIVILEGES ON `app`.* TO `app`@`%`", "app", "app_clone", "%",
                   "GRANT ALL PRIVILEGES ON `app`.* TO `app_clone`@`%`");
    expect_rewrite("GRANT `app`@`%` TO `app`@`%`", "app", "app_clone", "%", "GRANT `app`@`%` TO `app_clone`@`%`");
}

static void backticks_in_names_are_doubled(void **state)
{
    (void)state;
    expect_rewrite("GRANT SELECT ON `d`.* TO `a``b`@`h``x`", "a`b", "a`b_clone", "h`x",
                   "GRANT SELECT ON `d`.* TO `a``b_clone`@`h``x`");
}

static void unreadable_lines_are_errors(void **state)
{
    (void)state;
    char *out = NULL;
    rs_error err;
    rs_error_clear(&err);
    assert_int_not_equal(rl_db_rewrite_grant("REVOKE ALL ON *.* FROM `app`@`%`", "app", "x", "%", &out, &err), RS_OK);
    assert_null(out);
    assert_int_not_equal(rl_db_rewrite_grant("GRANT SELECT ON *.* TO `other`@`%`", "app", "x", "%", &out, &err), RS_OK);
    assert_int_not_equal(rl_db_rewrite_grant("GRANT SELECT ON *.* TO `app`@`elsewhere`", "app", "x", "%", &out, &err),
                         RS_OK);
    assert_null(strstr(err.message, "PASSWORD"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mariadb_usage_line_drops_password_and_require),
        cmocka_unit_test(mariadb_resource_limits_dropped_grant_option_kept),
        cmocka_unit_test(mysql8_database_grant_with_grant_option),
        cmocka_unit_test(mysql8_role_with_admin_option),
        cmocka_unit_test(mysql8_dynamic_privilege),
        cmocka_unit_test(mysql57_single_quoted_grantee),
        cmocka_unit_test(mariadb_default_role),
        cmocka_unit_test(only_the_grantee_is_replaced),
        cmocka_unit_test(backticks_in_names_are_doubled),
        cmocka_unit_test(unreadable_lines_are_errors),
    };
    return cmocka_run_group_tests_name("rotation function: SHOW GRANTS rewriting", tests, NULL, NULL);
}
