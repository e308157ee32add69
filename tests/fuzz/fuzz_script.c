/* Reading the fuzz input as a script of answers (see fuzz_script.h). */
#include "fuzz_script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static const char SEPARATOR[] = "\n==\n";

bool fz_contains(const char *hay, size_t hay_len, const char *needle, size_t needle_len)
{
    if (needle_len == 0) {
        return true;
    }
    return hay_len >= needle_len && memmem(hay, hay_len, needle, needle_len) != NULL;
}

void fz_script_init(fz_script *s, const uint8_t *data, size_t size)
{
    memset(s, 0, sizeof(*s));
    const char *p = (const char *)data;
    const char *end = p + size;
    bool first = true;
    if (size >= 3 && memcmp(p, "==\n", 3) == 0) {
        s->params = (fz_span){p, 0};
        p += 3;
        first = false;
    }
    for (;;) {
        const char *sep = memmem(p, (size_t)(end - p), SEPARATOR, sizeof(SEPARATOR) - 1);
        fz_span part = {p, sep ? (size_t)(sep - p) : (size_t)(end - p)};
        if (first) {
            s->params = part;
            first = false;
        } else if (s->count < FZ_MAX_SECTIONS) {
            s->answers[s->count++] = part;
        }
        if (!sep) {
            break;
        }
        p = sep + sizeof(SEPARATOR) - 1;
    }
}

bool fz_script_next(fz_script *s, fz_span *out)
{
    if (s->next >= s->count) {
        return false;
    }
    *out = s->answers[s->next++];
    return true;
}

bool fz_span_line(fz_span *rest, fz_span *line)
{
    if (rest->len == 0 && !rest->p) {
        return false;
    }
    const char *nl = memchr(rest->p, '\n', rest->len);
    if (!nl) {
        *line = *rest;
        *rest = (fz_span){NULL, 0};
        return true;
    }
    *line = (fz_span){rest->p, (size_t)(nl - rest->p)};
    rest->len -= (size_t)(nl + 1 - rest->p);
    rest->p = nl + 1;
    return true;
}

bool fz_span_eq(fz_span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.p, lit, n) == 0;
}

bool fz_span_starts(fz_span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len >= n && memcmp(s.p, lit, n) == 0;
}

bool fz_param(const fz_script *s, const char *key, char *out, size_t out_len)
{
    size_t klen = strlen(key);
    fz_span rest = s->params, line;
    if (out_len) {
        out[0] = '\0';
    }
    if (!rest.p) {
        return false;
    }
    while (fz_span_line(&rest, &line)) {
        if (line.len > klen && memcmp(line.p, key, klen) == 0 && line.p[klen] == '=') {
            size_t n = line.len - klen - 1;
            if (n >= out_len) {
                n = out_len - 1;
            }
            memcpy(out, line.p + klen + 1, n);
            out[n] = '\0';
            return true;
        }
    }
    return false;
}

long fz_param_long(const fz_script *s, const char *key, long dflt, long min, long max)
{
    char text[32];
    if (!fz_param(s, key, text, sizeof(text))) {
        return dflt;
    }
    long v = 0;
    for (const char *p = text; *p >= '0' && *p <= '9' && v <= max; p++) {
        v = v * 10 + (*p - '0');
    }
    return v < min ? min : v > max ? max : v;
}

void fz_http_answer_parse(fz_span section, fz_http_answer *a)
{
    memset(a, 0, sizeof(*a));
    fz_span rest = section, line;
    if (!fz_span_line(&rest, &line)) {
        a->transport = RS_ERR_CONNECT;
        return;
    }
    a->status_line = line;
    if (fz_span_starts(line, "!")) {
        a->transport = fz_span_starts(line, "!timeout") ? RS_ERR_TIMEOUT
                       : fz_span_starts(line, "!tls")   ? RS_ERR_TLS
                       : fz_span_starts(line, "!large") ? RS_ERR_TOO_LARGE
                                                        : RS_ERR_CONNECT;
        return;
    }
    /* The first run of digits after "HTTP/x.y " (or at the start) is the status. */
    size_t i = 0;
    if (fz_span_starts(line, "HTTP/")) {
        while (i < line.len && line.p[i] != ' ') {
            i++;
        }
    }
    while (i < line.len && line.p[i] == ' ') {
        i++;
    }
    long status = 0;
    for (; i < line.len && line.p[i] >= '0' && line.p[i] <= '9' && status < 1000; i++) {
        status = status * 10 + (line.p[i] - '0');
    }
    a->status = status;
    const char *headers = rest.p ? rest.p : "";
    size_t hlen = 0;
    while (rest.p && fz_span_line(&rest, &line)) {
        if (line.len == 0 || (line.len == 1 && line.p[0] == '\r')) {
            a->headers = (fz_span){headers, hlen};
            a->body = rest.p ? rest : (fz_span){"", 0};
            return;
        }
        hlen = (size_t)(line.p + line.len - headers) + (rest.p ? 1 : 0);
    }
    a->headers = (fz_span){headers, hlen};
    a->body = (fz_span){"", 0};
}

_Noreturn void fz_fail(const char *what)
{
    fprintf(stderr, "\nINVARIANT BROKEN: %s\n", what);
    fflush(stderr);
    abort();
}
