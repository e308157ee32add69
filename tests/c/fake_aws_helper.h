/* Test helper: start the fake AWS (tests/fake_aws/fake_aws.py) from a C test and drive its control endpoint. */
#ifndef FAKE_AWS_HELPER_H
#define FAKE_AWS_HELPER_H

#include <sys/types.h>

typedef struct {
    pid_t pid;
    int stdin_fd;          /* closing it (or our death) makes the fake exit */
    int http_port;
    int https_port;        /* 0 when not serving TLS */
    char base_url[64];     /* http://127.0.0.1:PORT */
    char tls_url[64];      /* https://127.0.0.1:PORT or "" */
} fake_aws;

/* The repository root (for test data and the fake's path). */
const char *rs_test_source_root(void);

/* Start the fake with --port 0 --exit-on-stdin-eof and extra arguments (may be NULL). 0 on success. */
int fake_aws_start(fake_aws *f, const char *extra_args);
void fake_aws_stop(fake_aws *f);

/* POST /__control/<action> with a JSON body (NULL: none). Returns the HTTP status, -1 on failure.
 * *response receives the body (heap) when response is not NULL. */
int fake_aws_control(const fake_aws *f, const char *action, const char *json_body, char **response);

/* One counter from /__control/counts (0 when absent, -1 on failure). */
long fake_aws_count(const fake_aws *f, const char *name);

/* Make a temporary directory holding a local CA (ca.pem), a certificate for 127.0.0.1/localhost
 * (server.pem, server.key) and one for another host name only (wrong.pem, wrong.key), with openssl.
 * dir must hold at least 64 bytes. 0 on success. */
int test_make_tls_files(char *dir, size_t dir_len);

/* setenv/unsetenv, then a new environment snapshot: the core reads the environment only through the snapshot
 * (src/env.h), as the extension does after its startup. */
void test_setenv(const char *name, const char *value, int overwrite);
void test_unsetenv(const char *name);

#endif
