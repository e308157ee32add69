/* The environment the core acts on, captured once before any untrusted code runs (the extension's MINIT and
 * a worker's first request, a program's main) and never read from the process environment afterwards: a PHP
 * script's putenv() cannot point the extension at another endpoint, region or credential source. The shared
 * credentials and config files are read at the same moment. Only the variables listed in env.c exist here. */
#ifndef RS_ENV_H
#define RS_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Take the snapshot from the process environment now, reading the shared files afresh. */
void rs_env_capture(void);

/* In a forked child (a PHP-FPM worker at its first request): take the variables again (a pool's env[...] may
 * differ from the master's), but keep the shared files the parent read when their paths did not change, so that
 * what a script wrote into a file before this worker started is not taken up. */
void rs_env_capture_after_fork(void);

/* A variable of the snapshot; NULL when it was unset or empty (the SDKs treat both alike). The snapshot is taken
 * at the first call if nothing took it before (programs and tests; the extension always takes it itself). */
const char *rs_env_get(const char *name);

/* The variable when it reads "true" (any case). */
bool rs_env_true(const char *name);

typedef enum { RS_ENV_CREDENTIALS_FILE = 0, RS_ENV_CONFIG_FILE = 1 } rs_env_file_kind;

/* One shared file as read at capture time. */
typedef struct {
    rs_status status;        /* RS_OK, or why the file cannot be used at all (path too long, over the size
                              * limit): the credential chain reports it */
    bool have_path;          /* a path could be built: the variable, or $HOME/.aws/... */
    bool absent;             /* no such file */
    const char *problem;     /* not NULL: the file exists but could not be read (why), or the error for status */
    const char *variable;    /* "AWS_SHARED_CREDENTIALS_FILE" or "AWS_CONFIG_FILE" */
    const char *path;
    const char *data;        /* the contents, NUL-terminated (NULL when none) */
    size_t len;
} rs_env_file;

const rs_env_file *rs_env_shared_file(rs_env_file_kind kind);

/* Largest shared file accepted. */
#define RS_ENV_SHARED_FILE_MAX_BYTES (1024 * 1024)

/* Read a whole file of at most max_bytes into a NUL-terminated heap buffer. A missing file is not an error:
 * *absent is set. RS_ERR_TOO_LARGE past the bound, RS_ERR_CONFIG when the file cannot be read. The buffer may
 * hold secrets: wipe it before freeing. */
rs_status rs_read_bounded_file(const char *path, size_t max_bytes, char **out, size_t *out_len, bool *absent,
                               rs_error *err);

/* A digest (32 hex characters) of everything in the snapshot that decides which credentials a fetch uses (static
 * keys' ids, the profile and what the shared files say, the container and metadata settings) and of the caller's
 * own settings that do (extra: n strings, NULL allowed, e.g. a CA bundle or metadata endpoint). Two processes with
 * the same digest fetch as the same identity; it reveals no credential. */
void rs_env_credential_digest(const char *const *extra, size_t n, char out[33]);

#endif
