/* Scripted answers for the fuzz targets that talk to a server. The fuzz input is a list of sections separated
 * by a line holding "==": the first section holds key=value parameters (one a line), each later one answers one
 * I/O call, in order. Plain text, so seeds are readable and mutations stay in shape. */
#ifndef FZ_SCRIPT_H
#define FZ_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FZ_MAX_SECTIONS 64

typedef struct {
    const char *p;
    size_t len;
} fz_span;

typedef struct {
    fz_span params;
    fz_span answers[FZ_MAX_SECTIONS];
    size_t count;
    size_t next;
} fz_script;

void fz_script_init(fz_script *s, const uint8_t *data, size_t size);
/* The next answer; false when the script is exhausted. */
bool fz_script_next(fz_script *s, fz_span *out);

/* The value of `key=` in the parameters (to the end of its line), NUL-terminated and cut to out_len - 1.
 * false (and out "") when absent. */
bool fz_param(const fz_script *s, const char *key, char *out, size_t out_len);
long fz_param_long(const fz_script *s, const char *key, long dflt, long min, long max);

/* Split a span at the first '\n': *line gets the text before it (without the '\n'), *rest what follows. */
bool fz_span_line(fz_span *rest, fz_span *line);
bool fz_span_eq(fz_span s, const char *lit);
bool fz_span_starts(fz_span s, const char *lit);

/* One scripted HTTP answer: the first line is a status ("200", "HTTP/1.1 503 Slow Down") or a transport failure
 * ("!connect", "!timeout", "!tls", "!large"); header lines follow, as the server sent them (each handed to the
 * header parser with its line end), up to an empty line; the body is the rest. */
typedef struct {
    int transport;        /* 0 (an answer) or the rs_status of a transport failure */
    long status;
    fz_span status_line;
    fz_span headers;      /* the header lines, each ending in '\n' except perhaps the last */
    fz_span body;
} fz_http_answer;

void fz_http_answer_parse(fz_span section, fz_http_answer *a);

/* memmem for spans (the secret may hold NULs in a target's own checks). */
bool fz_contains(const char *hay, size_t hay_len, const char *needle, size_t needle_len);

/* Abort with a message naming the invariant (libFuzzer then saves the input). */
_Noreturn void fz_fail(const char *what);
#define FZ_ASSERT(cond, what)                                                                                    \
    do {                                                                                                         \
        if (!(cond)) {                                                                                           \
            fz_fail(what);                                                                                       \
        }                                                                                                        \
    } while (0)

#endif
