/* Unit tests (cmocka) for the rotation function's SHOW GRANTS rewriting and grant convergence: MariaDB, MySQL 8/9
 * and MySQL 5.7 output forms. The servers themselves are exercised by tests/lambda/run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grants.h"
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

/* rl_grants_plan: the statements, in order, for the target `c`@`%`. */
static void expect_plan(const char *const *want, size_t nwant, const char *const *have, size_t nhave,
                        const char *const *expected, size_t nexpected)
{
    char **stmts = NULL;
    size_t n = 0;
    rs_error err;
    rs_error_clear(&err);
    assert_int_equal(rl_grants_plan(want, nwant, have, nhave, "`c`@`%`", &stmts, &n, &err), RS_OK);
    for (size_t i = 0; i < n && i < nexpected; i++) {
        assert_string_equal(stmts[i], expected[i]);
    }
    assert_int_equal(n, nexpected);
    rl_grants_free(stmts, n);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void plan_revokes_a_privilege_the_source_lost(void **state)
{
    (void)state;
    /* The reproduced defect: REVOKE DROP from the user in use, the clone kept it at the next rotation. */
    const char *want[] = {"GRANT USAGE ON *.* TO `c`@`%`", "GRANT SELECT, INSERT ON `appdb`.* TO `c`@`%`"};
    const char *have[] = {"GRANT USAGE ON *.* TO `c`@`%`", "GRANT SELECT, INSERT, DROP ON `appdb`.* TO `c`@`%`"};
    const char *expected[] = {"REVOKE DROP ON `appdb`.* FROM `c`@`%`", want[0], want[1]};
    expect_plan(want, N(want), have, N(have), expected, N(expected));
}

static void plan_same_grants_only_regrants(void **state)
{
    (void)state;
    const char *want[] = {"GRANT SELECT ON `appdb`.* TO `c`@`%`", "GRANT `approle`@`%` TO `c`@`%`"};
    expect_plan(want, N(want), want, N(want), want, N(want));
}

static void plan_columns_routines_roles_and_options(void **state)
{
    (void)state;
    const char *want[] = {
        "GRANT USAGE ON *.* TO `c`@`%`",
        "GRANT SELECT (`a`), UPDATE (`x`) ON `appdb`.`t` TO `c`@`%`",
        "GRANT `reader`@`%` TO `c`@`%`",
        "SET DEFAULT ROLE `reader` FOR `c`@`%`",
    };
    const char *have[] = {
        "GRANT SELECT ON *.* TO `c`@`%` WITH GRANT OPTION",
        "GRANT SELECT (`a`, `b`), UPDATE (`x`) ON `appdb`.`t` TO `c`@`%`",
        "GRANT EXECUTE ON PROCEDURE `appdb`.`p` TO `c`@`%`",
        "GRANT `reader`@`%`,`writer`@`%` TO `c`@`%` WITH ADMIN OPTION",
        "GRANT APPLICATION_PASSWORD_ADMIN,XA_RECOVER_ADMIN ON *.* TO `c`@`%`",
    };
    const char *expected[] = {
        "REVOKE SELECT, APPLICATION_PASSWORD_ADMIN, XA_RECOVER_ADMIN ON *.* FROM `c`@`%`",
        "REVOKE GRANT OPTION ON *.* FROM `c`@`%`",
        "REVOKE SELECT (`b`) ON `appdb`.`t` FROM `c`@`%`",
        "REVOKE EXECUTE ON PROCEDURE `appdb`.`p` FROM `c`@`%`",
        "REVOKE `reader`@`%` FROM `c`@`%`",
        "REVOKE `writer`@`%` FROM `c`@`%`",
        want[0], want[1], want[2],
    };
    expect_plan(want, N(want), have, N(have), expected, N(expected));
}

static void plan_quoted_names_with_separators(void **state)
{
    (void)state;
    /* " ON ", " TO " and commas inside quoted names are names, not syntax. */
    const char *want[] = {"GRANT SELECT ON `a ON b`.`t, u` TO `c`@`%`"};
    const char *have[] = {"GRANT SELECT, DELETE ON `a ON b`.`t, u` TO `c`@`%`",
                          "GRANT PROXY ON ''@'' TO `c`@`%` WITH GRANT OPTION"};
    const char *expected[] = {"REVOKE DELETE ON `a ON b`.`t, u` FROM `c`@`%`", "REVOKE PROXY ON ''@'' FROM `c`@`%`",
                              want[0]};
    expect_plan(want, N(want), have, N(have), expected, N(expected));
}

static void plan_refuses_unreadable_lines(void **state)
{
    (void)state;
    char **stmts = NULL;
    size_t n = 0;
    rs_error err;
    rs_error_clear(&err);
    const char *good[] = {"GRANT SELECT ON *.* TO `c`@`%`"};
    const char *bad[] = {"REVOKE SELECT ON `d`.* FROM `c`@`%`"};
    const char *other[] = {"GRANT SELECT ON *.* TO `someone`@`%`"};
    assert_int_equal(rl_grants_plan(good, 1, bad, 1, "`c`@`%`", &stmts, &n, &err), RS_ERR_UNSUPPORTED);
    assert_int_equal(rl_grants_plan(other, 1, good, 1, "`c`@`%`", &stmts, &n, &err), RS_ERR_UNSUPPORTED);
    assert_null(stmts);
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
        cmocka_unit_test(plan_revokes_a_privilege_the_source_lost),
        cmocka_unit_test(plan_same_grants_only_regrants),
        cmocka_unit_test(plan_columns_routines_roles_and_options),
        cmocka_unit_test(plan_quoted_names_with_separators),
        cmocka_unit_test(plan_refuses_unreadable_lines),
    };
    return cmocka_run_group_tests_name("rotation function: SHOW GRANTS rewriting and grant convergence", tests, NULL, NULL);
}
