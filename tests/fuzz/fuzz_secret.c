/* Fuzz target: the SecretString parser (rs_secret_fields_parse), which the PHP extension and the rotation function
 * both read every secret through, and rs_json_has_escaped_nul. Invariants: a parse either refuses the text as
 * malformed or yields unique keys (readers would otherwise disagree on a duplicated "password"); a non-object
 * is one "password" field holding the text byte for byte; an object's values hold no hidden NUL; the result is
 * deterministic; the NUL scanner agrees with a tokenizing reference on every text cJSON accepts. */
#include <cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_script.h"
#include "secret.h"

/* Reference: walk the JSON tokens; inside a string an escape is a backslash and the character after it, and a
 * \u escape whose four characters are "0000" or not all hex digits is what cJSON decodes as U+0000. */
static bool reference_has_escaped_nul(const char *s, size_t n)
{
    bool in_string = false;
    for (size_t i = 0; i < n; i++) {
        if (!in_string) {
            in_string = s[i] == '"';
        } else if (s[i] == '"') {
            in_string = false;
        } else if (s[i] == '\\') {
            if (i + 5 < n && s[i + 1] == 'u') {
                unsigned v = 0;
                bool hex = true;
                for (int k = 2; k < 6; k++) {
                    char c = s[i + k];
                    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                    hex = hex && d >= 0;
                    v = v * 16 + (unsigned)(d < 0 ? 0 : d);
                }
                if (!hex || v == 0) {
                    return true;
                }
            }
            i++;
        }
    }
    return false;
}

static void check_fields(const rs_secret_fields *f, const char *text, size_t len, bool has_raw_nul)
{
    FZ_ASSERT(f->count == 0 || f->fields, "fields are allocated");
    for (size_t i = 0; i < f->count; i++) {
        FZ_ASSERT(f->fields[i].key && f->fields[i].value, "every field has a key and a value");
        FZ_ASSERT(f->fields[i].value[f->fields[i].value_len] == '\0', "values are NUL-terminated");
        for (size_t j = 0; j < i; j++) {
            FZ_ASSERT(strcmp(f->fields[i].key, f->fields[j].key) != 0,
                      "a parsed secret never holds a key twice (point 5: duplicate password/username)");
        }
        FZ_ASSERT(rs_secret_fields_get(f, f->fields[i].key) == &f->fields[i], "get finds each field");
    }
    if (f->count == 1 && strcmp(f->fields[0].key, "password") == 0 && f->fields[0].value_len == len &&
        memcmp(f->fields[0].value, text, len) == 0) {
        return;  /* a plain password: the text itself */
    }
    /* Otherwise the text was a JSON object: its values never hide a NUL that would cut them short in C. */
    FZ_ASSERT(!has_raw_nul || len == 0, "an object parse of a text holding a raw NUL");
    for (size_t i = 0; i < f->count; i++) {
        FZ_ASSERT(strlen(f->fields[i].value) == f->fields[i].value_len, "no NUL inside a value");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    bool has_raw_nul = memchr(data, '\0', size) != NULL;

    const char *end = NULL;
    cJSON *json = cJSON_ParseWithLengthOpts(text, size, &end, false);
    size_t used = json && end ? (size_t)(end - text) : 0;
    while (used < size && strchr(" \t\r\n", text[used]) && text[used]) {
        used++;
    }
    if (json && used == size) {
        FZ_ASSERT(rs_json_has_escaped_nul(text, size) == reference_has_escaped_nul(text, size),
                  "rs_json_has_escaped_nul agrees with a tokenizer on valid JSON");
    }
    cJSON_Delete(json);

    rs_secret_fields a, b;
    rs_error ea, eb;
    rs_error_clear(&ea);
    rs_error_clear(&eb);
    rs_status sa = rs_secret_fields_parse(text, size, &a, &ea);
    rs_status sb = rs_secret_fields_parse(text, size, &b, &eb);
    FZ_ASSERT(sa == sb, "parsing is deterministic");
    /* No allocation fails here: anything but success is a refusal of the text itself. */
    FZ_ASSERT(sa == RS_OK || sa == RS_ERR_MALFORMED, "a parse succeeds or refuses the text as malformed");
    if (sa != RS_OK) {
        FZ_ASSERT(ea.status == sa && strcmp(ea.message, eb.message) == 0, "the error record matches");
        FZ_ASSERT(a.count == 0 && a.fields == NULL, "nothing is left allocated after a refusal");
        return 0;
    }
    check_fields(&a, text, size, has_raw_nul);
    FZ_ASSERT(a.count == b.count, "parsing is deterministic (count)");
    for (size_t i = 0; i < a.count; i++) {
        FZ_ASSERT(strcmp(a.fields[i].key, b.fields[i].key) == 0 && a.fields[i].value_len == b.fields[i].value_len &&
                      memcmp(a.fields[i].value, b.fields[i].value, a.fields[i].value_len) == 0,
                  "parsing is deterministic (fields)");
    }
    rs_secret_fields_free(&a);
    rs_secret_fields_free(&b);
    FZ_ASSERT(a.count == 0 && a.fields == NULL, "free empties the record");
    return 0;
}
