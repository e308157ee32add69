/* The secret's fields: strict JSON objects only, numbers as written, duplicate keys and escaped NULs refused,
 * anything else a plain password. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "secret.h"

static const char *value_of(const rs_secret_fields *f, const char *key)
{
    const rs_secret_field *field = rs_secret_fields_get(f, key);
    return field ? field->value : NULL;
}

static void parse_ok(const char *text, rs_secret_fields *f)
{
    rs_error err;
    rs_error_clear(&err);
    assert_int_equal(rs_secret_fields_parse(text, strlen(text), f, &err), RS_OK);
}

static void database_secret_fields(void **state)
{
    (void)state;
    rs_secret_fields f;
    parse_ok(" {\"engine\": \"mysql\", \"host\": \"db.example\", \"port\": 3306, \"username\": \"wp\",\n"
             "  \"password\": \"p\\\"w\\\\d\\u00e9\", \"dbname\": null, \"ssl\": true} \n", &f);
    assert_int_equal(f.count, 7);
    assert_string_equal(value_of(&f, "port"), "3306");
    assert_string_equal(value_of(&f, "password"), "p\"w\\d\xc3\xa9");
    assert_string_equal(value_of(&f, "dbname"), "");
    assert_string_equal(value_of(&f, "ssl"), "true");
    assert_string_equal(f.fields[0].key, "engine");  /* document order */
    rs_secret_fields_free(&f);
}

static void numbers_as_written(void **state)
{
    (void)state;
    rs_secret_fields f;
    parse_ok("{\"password\":12345678901234567890,\"a\":1.50,\"b\":-0,\"c\":1e400,\"d\":{ \"x\" : [1.0, 2 ] ,\"s\":\" a b \"}}",
             &f);
    assert_string_equal(value_of(&f, "password"), "12345678901234567890");
    assert_string_equal(value_of(&f, "a"), "1.50");
    assert_string_equal(value_of(&f, "b"), "-0");
    assert_string_equal(value_of(&f, "c"), "1e400");
    /* nested values compact, their strings byte for byte */
    assert_string_equal(value_of(&f, "d"), "{\"x\":[1.0,2],\"s\":\" a b \"}");
    rs_secret_fields_free(&f);
}

static void text_that_only_starts_like_json_is_a_password(void **state)
{
    (void)state;
    static const char *const plain[] = {"{}Xq7#pL", "{\"a\":1} x", "{\"a\":1}{}", "[1,2]", "\"quoted\"", "123",
                                        "{unclosed", "hunter2", ""};
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        rs_secret_fields f;
        parse_ok(plain[i], &f);
        assert_int_equal(f.count, 1);
        assert_string_equal(f.fields[0].key, "password");
        assert_int_equal(f.fields[0].value_len, strlen(plain[i]));
        assert_memory_equal(f.fields[0].value, plain[i], strlen(plain[i]));
        rs_secret_fields_free(&f);
    }
}

static void duplicate_keys_refused(void **state)
{
    (void)state;
    static const char *const dup[] = {"{\"password\":\"a\",\"password\":\"b\"}",
                                      "{\"username\":\"x\",\"password\":\"p\",\"username\":\"y\"}",
                                      "{\"k\":1,\"k\":1}"};
    for (size_t i = 0; i < sizeof(dup) / sizeof(dup[0]); i++) {
        rs_secret_fields f;
        rs_error err;
        rs_error_clear(&err);
        assert_int_equal(rs_secret_fields_parse(dup[i], strlen(dup[i]), &f, &err), RS_ERR_MALFORMED);
        assert_non_null(strstr(err.message, "more than once"));
        assert_null(strstr(err.message, "\"a\""));
        assert_int_equal(f.count, 0);
        assert_null(f.fields);
    }
    /* the same key in a nested object is that object's business */
    rs_secret_fields f;
    parse_ok("{\"a\":{\"k\":1},\"b\":{\"k\":2}}", &f);
    assert_int_equal(f.count, 2);
    rs_secret_fields_free(&f);
}

static void escaped_nul(void **state)
{
    (void)state;
    assert_true(rs_json_has_escaped_nul("\"a\\u0000b\"", 10));
    assert_false(rs_json_has_escaped_nul("\"a\\\\u0000b\"", 11));     /* an escaped backslash, then u0000 */
    assert_true(rs_json_has_escaped_nul("\"a\\\\\\u0000b\"", 12));    /* \\ then \u0000 */
    assert_false(rs_json_has_escaped_nul("\"\\u00000\"", 4));         /* cut before the escape ends */
    assert_false(rs_json_has_escaped_nul("\"\\u0001\"", 8));

    rs_secret_fields f;
    rs_error err;
    rs_error_clear(&err);
    const char *nul = "{\"password\":\"a\\u0000b\"}";
    assert_int_equal(rs_secret_fields_parse(nul, strlen(nul), &f, &err), RS_ERR_MALFORMED);
    assert_null(strstr(err.message, "a\\u0000b"));
    parse_ok("{\"password\":\"a\\\\u0000b\"}", &f);
    assert_string_equal(value_of(&f, "password"), "a\\u0000b");
    rs_secret_fields_free(&f);
}

/* Found by fuzzing (tests/fuzz/corpus/secret/control-*, invalid-u-escape*): cJSON takes any byte up to 0x20 for
 * whitespace between tokens, keeps a raw NUL inside a string, and decodes a \u escape without four hex digits as
 * U+0000. A text with control characters between its tokens is not JSON: a plain password, byte for byte, never
 * an internal error (its members could not be split). A NUL inside a string, however written, is refused like
 * \u0000: C would cut the value there ("ab\u00zzcd" gave the password "ab"). */
static void control_characters_and_invalid_escapes(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t len;
    } plain[] = {
        {"\x01{\"a\":1}", 8},
        {"{\"a\"\f:1}", 8},
        {"{\"a\":\x00 1}", 9},
        {"{\"a\":1\v}", 8},
    }, refused[] = {
        {"{\"password\":\"abc\0" "def\"}", 22},
        {"{\"password\":\"ab\\u00zzcd\"}", 25},
        {"{\"username\":\"admin\\uzzzz_other\"}", 32},
        {"{\"pass\\u12x4word\":\"p\"}", 22},
    };
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        rs_secret_fields f;
        rs_error err;
        rs_error_clear(&err);
        assert_int_equal(rs_secret_fields_parse(plain[i].text, plain[i].len, &f, &err), RS_OK);
        assert_int_equal(f.count, 1);
        assert_string_equal(f.fields[0].key, "password");
        assert_int_equal(f.fields[0].value_len, plain[i].len);
        assert_memory_equal(f.fields[0].value, plain[i].text, plain[i].len);
        rs_secret_fields_free(&f);
    }
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        rs_secret_fields f;
        rs_error err;
        rs_error_clear(&err);
        assert_int_equal(rs_secret_fields_parse(refused[i].text, refused[i].len, &f, &err), RS_ERR_MALFORMED);
        assert_non_null(strstr(err.message, "NUL"));
        assert_int_equal(f.count, 0);
    }
    assert_true(rs_json_has_escaped_nul("\"\\u00zz\"", 8));
    assert_false(rs_json_has_escaped_nul("\"\\\\u00zz\"", 9));  /* an escaped backslash, then u00zz */
    assert_false(rs_json_has_escaped_nul("\"\\u00e9\"", 8));
    /* JSON's own whitespace is still whitespace, and a raw tab inside a string stays as it was */
    rs_secret_fields f;
    parse_ok("\t{\r\n\"a\" :\t1 , \"b\":\"x\ty\"}\n", &f);
    assert_int_equal(f.count, 2);
    assert_string_equal(value_of(&f, "a"), "1");
    assert_string_equal(value_of(&f, "b"), "x\ty");
    rs_secret_fields_free(&f);
}

static void empty_object(void **state)
{
    (void)state;
    rs_secret_fields f;
    parse_ok(" { } ", &f);
    assert_int_equal(f.count, 0);
    assert_null(rs_secret_fields_get(&f, "password"));
    rs_secret_fields_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(database_secret_fields),
        cmocka_unit_test(numbers_as_written),
        cmocka_unit_test(text_that_only_starts_like_json_is_a_password),
        cmocka_unit_test(duplicate_keys_refused),
        cmocka_unit_test(escaped_nul),
        cmocka_unit_test(control_characters_and_invalid_escapes),
        cmocka_unit_test(empty_object),
    };
    return cmocka_run_group_tests_name("secret", tests, NULL, NULL);
}
