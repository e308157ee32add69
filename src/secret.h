/* The database secret's fields (host, port, username, password, dbname, engine, ...) parsed from the
 * SecretString JSON, every value as a string. Shared by the PHP extension and the rotation function. */
#ifndef RS_SECRET_H
#define RS_SECRET_H

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

/* Parse a SecretString. A JSON object gives one field per member: strings as they are, numbers and
 * booleans as their JSON text ("port": 3306 gives "3306"), null as "", nested objects and arrays as
 * compact JSON. Anything else (a bare password) gives one field, "password", holding the whole string.
 * Duplicate keys: the last wins, as in PHP's json_decode. */
rs_status rs_secret_fields_parse(const char *secret, size_t len, rs_secret_fields *out, rs_error *err);

/* The field's value, or NULL. */
const rs_secret_field *rs_secret_fields_get(const rs_secret_fields *f, const char *key);

/* Wipes every value, then frees. */
void rs_secret_fields_free(rs_secret_fields *f);

#endif
