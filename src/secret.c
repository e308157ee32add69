/* Parsing the database secret JSON into string fields. */
#include "secret.h"

#include <cJSON.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void wipe_free(char *s, size_t len)
{
    if (s) {
        OPENSSL_cleanse(s, len);
        free(s);
    }
}

void rs_secret_fields_free(rs_secret_fields *f)
{
    for (size_t i = 0; i < f->count; i++) {
        free(f->fields[i].key);
        wipe_free(f->fields[i].value, f->fields[i].value_len);
    }
    free(f->fields);
    f->fields = NULL;
    f->count = 0;
}

const rs_secret_field *rs_secret_fields_get(const rs_secret_fields *f, const char *key)
{
    for (size_t i = 0; i < f->count; i++) {
        if (strcmp(f->fields[i].key, key) == 0) {
            return &f->fields[i];
        }
    }
    return NULL;
}

static char *dup_bytes(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

/* The member's value as text: strings verbatim, everything else as its compact JSON. */
static char *member_text(const cJSON *item, size_t *len)
{
    if (cJSON_IsString(item)) {
        *len = strlen(item->valuestring);
        return dup_bytes(item->valuestring, *len);
    }
    if (cJSON_IsNull(item)) {
        *len = 0;
        return dup_bytes("", 0);
    }
    /* Numbers print integral when they are ("port": 3306 gives "3306"); objects and arrays compact. */
    char *printed = cJSON_PrintUnformatted(item);
    if (printed) {
        *len = strlen(printed);
    }
    return printed;
}

rs_status rs_secret_fields_parse(const char *secret, size_t len, rs_secret_fields *out, rs_error *err)
{
    out->fields = NULL;
    out->count = 0;
    cJSON *json = cJSON_ParseWithLength(secret, len);
    if (!cJSON_IsObject(json)) {
        cJSON_Delete(json);
        /* Not a JSON object: a plain password secret. */
        out->fields = calloc(1, sizeof(rs_secret_field));
        if (!out->fields || !(out->fields[0].key = strdup("password")) ||
            !(out->fields[0].value = dup_bytes(secret, len))) {
            if (out->fields) {
                free(out->fields[0].key);
            }
            free(out->fields);
            out->fields = NULL;
            return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
        }
        out->fields[0].value_len = len;
        out->count = 1;
        return RS_OK;
    }
    size_t n = (size_t)cJSON_GetArraySize(json);
    out->fields = n ? calloc(n, sizeof(rs_secret_field)) : NULL;
    if (n && !out->fields) {
        cJSON_Delete(json);
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    const cJSON *item;
    bool ok = true;
    cJSON_ArrayForEach(item, json) {
        size_t value_len = 0;
        char *value = member_text(item, &value_len);
        if (!value) {
            ok = false;
            break;
        }
        rs_secret_field *existing = (rs_secret_field *)rs_secret_fields_get(out, item->string);
        if (existing) {
            wipe_free(existing->value, existing->value_len);
            existing->value = value;
            existing->value_len = value_len;
            continue;
        }
        rs_secret_field *f = &out->fields[out->count];
        f->key = strdup(item->string);
        if (!f->key) {
            wipe_free(value, value_len);
            ok = false;
            break;
        }
        f->value = value;
        f->value_len = value_len;
        out->count++;
    }
    cJSON_Delete(json);
    if (!ok) {
        rs_secret_fields_free(out);
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    return RS_OK;
}
