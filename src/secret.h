/* The database secret's fields (host, port, username, password, dbname, engine, ...) parsed from the
 * SecretString JSON, every value as a string. Shared by the PHP extension and the rotation function. */
#ifndef RS_SECRET_H
#define RS_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

typedef struct {
    char *key;
    char *value;
    size_t value_len;
} rs_secret_field;

typedef struct {
    rs_secret_field *fields;
    size_t count;
} rs_secret_fields;

/* Parse a SecretString. A JSON object (the whole text, nothing after it) gives one field per member: strings
 * unescaped, numbers and booleans exactly as written ("port": 3306 gives "3306", 12345678901234567890 stays
 * so), null as "", nested objects and arrays as their compact JSON. Anything else (a bare password, or text
 * that only starts like JSON, or has control characters other than JSON's whitespace between its tokens) gives
 * one field, "password", holding the whole string. An object with a key twice, or holding a NUL (escaped, raw,
 * or an invalid \u escape, which cJSON decodes as one), is refused with RS_ERR_MALFORMED: readers would disagree
 * on its meaning. */
rs_status rs_secret_fields_parse(const char *secret, size_t len, rs_secret_fields *out, rs_error *err);

/* Whether JSON text holds an escaped NUL (\u0000), which C strings would cut short; an escaped backslash
 * followed by "u0000" is not one, a \u escape without four hex digits is (cJSON decodes it as U+0000). */
bool rs_json_has_escaped_nul(const char *text, size_t len);

/* The field's value, or NULL. */
const rs_secret_field *rs_secret_fields_get(const rs_secret_fields *f, const char *key);

/* Wipes every value, then frees. */
void rs_secret_fields_free(rs_secret_fields *f);

#endif
