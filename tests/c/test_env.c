/* The environment snapshot: what the core acts on is fixed when the snapshot is taken; later changes to the
 * process environment (a script's putenv) and to the shared files change nothing until the next snapshot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "creds.h"
#include "env.h"
#include "http.h"
#include "sm.h"

static char dir[64];

static void write_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(content, f);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/rs-env-XXXXXX");
    if (!mkdtemp(dir)) {
        return -1;
    }
    static const char *const clear[] = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy",
        "NO_PROXY"};
    for (size_t i = 0; i < sizeof(clear) / sizeof(clear[0]); i++) {
        unsetenv(clear[i]);
    }
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("HOME", dir, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void later_changes_are_not_seen(void **state)
{
    (void)state;
    setenv("AWS_REGION", "eu-west-1", 1);
    setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "https://vpce.example", 1);
    rs_env_capture();
    /* What a script's putenv() does to the process environment: */
    setenv("AWS_REGION", "us-west-2", 1);
    setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:9", 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9", 1);
    assert_string_equal(rs_env_get("AWS_REGION"), "eu-west-1");
    char endpoint[256], region[64];
    rs_error err;
    assert_int_equal(rs_sm_resolve_endpoint(NULL, "eu-west-1", endpoint, sizeof(endpoint), &err), RS_OK);
    assert_string_equal(endpoint, "https://vpce.example");
    assert_int_equal(rs_region_resolve(NULL, NULL, region, &err), RS_OK);
    assert_string_equal(region, "eu-west-1");
    assert_null(rs_env_get("AWS_ENDPOINT_URL"));
    assert_null(rs_env_get("PATH"));  /* not a variable the core reads */
    rs_env_capture();
    assert_string_equal(rs_env_get("AWS_REGION"), "us-west-2");
}

static void empty_means_unset(void **state)
{
    (void)state;
    setenv("AWS_REGION", "", 1);
    rs_env_capture();
    assert_null(rs_env_get("AWS_REGION"));
    assert_false(rs_env_true("AWS_REGION"));
    assert_true(rs_env_true("AWS_EC2_METADATA_DISABLED"));
}

static void credentials_from_the_snapshot(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/credentials", dir);
    write_file(path, "[default]\naws_access_key_id = AKIDFROMFILE\naws_secret_access_key = secret1\n");
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    rs_env_capture();
    /* Rewritten after the snapshot (as a script could, where the file is writable): not taken up. */
    write_file(path, "[default]\naws_access_key_id = AKIDATTACKER\naws_secret_access_key = secret2\n");
    setenv("AWS_ACCESS_KEY_ID", "AKIDPUTENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret3", 1);
    rs_credentials c;
    rs_error err;
    assert_int_equal(rs_creds_resolve(NULL, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDFROMFILE");
    assert_string_equal(c.source, "profile");
    rs_credentials_wipe(&c);
    const rs_env_file *f = rs_env_shared_file(RS_ENV_CREDENTIALS_FILE);
    assert_true(f->have_path);
    assert_string_equal(f->path, path);
    assert_non_null(strstr(f->data, "AKIDFROMFILE"));
}

static void after_fork_keeps_files_whose_path_is_unchanged(void **state)
{
    (void)state;
    char path[128], other[128];
    snprintf(path, sizeof(path), "%s/credentials", dir);
    snprintf(other, sizeof(other), "%s/pool-credentials", dir);
    write_file(path, "[default]\naws_access_key_id = AKIDMASTER\naws_secret_access_key = s\n");
    write_file(other, "[default]\naws_access_key_id = AKIDPOOL\naws_secret_access_key = s\n");
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    rs_env_capture();
    write_file(path, "[default]\naws_access_key_id = AKIDWRITTENLATER\naws_secret_access_key = s\n");
    setenv("AWS_REGION", "ap-south-1", 1);  /* a pool's env[...] */
    rs_env_capture_after_fork();
    assert_string_equal(rs_env_get("AWS_REGION"), "ap-south-1");
    assert_non_null(strstr(rs_env_shared_file(RS_ENV_CREDENTIALS_FILE)->data, "AKIDMASTER"));
    /* A pool that names another file reads that one, at its start. */
    setenv("AWS_SHARED_CREDENTIALS_FILE", other, 1);
    rs_env_capture_after_fork();
    assert_non_null(strstr(rs_env_shared_file(RS_ENV_CREDENTIALS_FILE)->data, "AKIDPOOL"));
}

static void credential_digest_follows_the_identity(void **state)
{
    (void)state;
    char a[33], b[33], c[33];
    setenv("AWS_ACCESS_KEY_ID", "AKIDONE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret-one", 1);
    rs_env_capture();
    rs_env_credential_digest(NULL, 0, a);
    setenv("AWS_SECRET_ACCESS_KEY", "secret-two", 1);  /* same key id: same identity */
    rs_env_capture();
    rs_env_credential_digest(NULL, 0, b);
    assert_string_equal(a, b);
    setenv("AWS_ACCESS_KEY_ID", "AKIDTWO", 1);
    rs_env_capture();
    rs_env_credential_digest(NULL, 0, c);
    assert_string_not_equal(a, c);
    const char *ca[] = {"/etc/ssl/other-ca.pem"};
    rs_env_credential_digest(ca, 1, b);
    assert_string_not_equal(b, c);
    assert_int_equal(strlen(a), 32);
    assert_null(strstr(a, "AKID"));
}

/* A one-shot HTTP proxy on loopback: reports the first request line it gets through a pipe, answers 403. */
static pid_t start_proxy(int *port, int *report_fd)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s, 4), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        alarm(20);
        int c = accept(s, NULL, NULL);
        char buf[512] = "";
        ssize_t n = read(c, buf, sizeof(buf) - 1);
        if (n > 0) {
            buf[strcspn(buf, "\r\n")] = '\0';
            (void)!write(fds[1], buf, strlen(buf));
        }
        const char *answer = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
        (void)!write(c, answer, strlen(answer));
        _exit(0);
    }
    close(s);
    close(fds[1]);
    *report_fd = fds[0];
    return pid;
}

static void proxy_from_the_snapshot_only(void **state)
{
    (void)state;
    int port, report;
    pid_t proxy = start_proxy(&port, &report);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    setenv("https_proxy", url, 1);
    rs_env_capture();
    rs_http_request req = {.method = "GET", .url = "https://secretsmanager.us-east-1.amazonaws.com/",
                           .connect_timeout_ms = 3000, .timeout_ms = 5000};
    rs_http_response resp;
    rs_error err;
    /* The proxy refuses the tunnel: an error, and the proxy saw our CONNECT. */
    assert_int_not_equal(rs_http_perform(&req, &resp, &err), RS_OK);
    char line[512] = "";
    ssize_t n = read(report, line, sizeof(line) - 1);
    assert_true(n > 0);
    line[n] = '\0';
    assert_string_equal(line, "CONNECT secretsmanager.us-east-1.amazonaws.com:443 HTTP/1.1");
    close(report);
    waitpid(proxy, NULL, 0);

    /* A proxy put into the live environment after the snapshot is never used (nor any proxy, with none in it):
     * the request goes out directly, here to a name this machine cannot resolve. */
    proxy = start_proxy(&port, &report);
    unsetenv("https_proxy");
    rs_env_capture();
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    setenv("https_proxy", url, 1);
    setenv("HTTPS_PROXY", url, 1);
    setenv("ALL_PROXY", url, 1);
    req.url = "https://rdssecret-test.invalid/";
    assert_int_not_equal(rs_http_perform(&req, &resp, &err), RS_OK);
    kill(proxy, SIGKILL);
    waitpid(proxy, NULL, 0);
    n = read(report, line, sizeof(line) - 1);
    assert_true(n <= 0);  /* the proxy saw nothing */
    close(report);
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("ALL_PROXY");
}

int main(void)
{
    rs_error err;
    if (rs_http_global_init(&err) != RS_OK) {
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(later_changes_are_not_seen, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_means_unset, setup, teardown),
        cmocka_unit_test_setup_teardown(credentials_from_the_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(after_fork_keeps_files_whose_path_is_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(credential_digest_follows_the_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(proxy_from_the_snapshot_only, setup, teardown),
    };
    int failed = cmocka_run_group_tests_name("env", tests, NULL, NULL);
    rs_http_global_cleanup();
    return failed;
}
