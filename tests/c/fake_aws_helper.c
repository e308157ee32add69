/* Test helper: start the fake AWS as a child process and talk to its control endpoint with libcurl. */
#include "fake_aws_helper.h"

#include "env.h"

#include <cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef RS_SOURCE_ROOT
#define RS_SOURCE_ROOT "."
#endif

const char *rs_test_source_root(void)
{
    const char *env = getenv("RS_SOURCE_ROOT");
    return env && *env ? env : RS_SOURCE_ROOT;
}

int fake_aws_start(fake_aws *f, const char *extra_args)
{
    memset(f, 0, sizeof(*f));
    int in_pipe[2], out_pipe[2];
    /* CLOEXEC: later children (other fakes, php-fpm) must not hold our end, or the fake never sees EOF. */
    if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0) {
        return -1;
    }
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "exec /usr/bin/python3 '%s/tests/fake_aws/fake_aws.py' --port 0 --exit-on-stdin-eof %s",
             rs_test_source_root(), extra_args ? extra_args : "");
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        dup2(in_pipe[0], 0);
        dup2(out_pipe[1], 1);
        close(in_pipe[0]);
        close(in_pipe[1]);
        close(out_pipe[0]);
        close(out_pipe[1]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(in_pipe[0]);
    close(out_pipe[1]);
    f->pid = pid;
    f->stdin_fd = in_pipe[1];

    /* The fake prints one JSON line once it listens: {"http_port": N, "https_port": M|null}. */
    char line[512];
    size_t len = 0;
    while (len < sizeof(line) - 1) {
        ssize_t n = read(out_pipe[0], line + len, 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0 || line[len] == '\n') {
            break;
        }
        len++;
    }
    line[len] = '\0';
    close(out_pipe[0]);
    cJSON *json = cJSON_Parse(line);
    const cJSON *http = cJSON_GetObjectItemCaseSensitive(json, "http_port");
    const cJSON *https = cJSON_GetObjectItemCaseSensitive(json, "https_port");
    if (!cJSON_IsNumber(http)) {
        cJSON_Delete(json);
        fprintf(stderr, "# fake AWS did not start (said: %s)\n", line);
        fake_aws_stop(f);
        return -1;
    }
    f->http_port = http->valueint;
    f->https_port = cJSON_IsNumber(https) ? https->valueint : 0;
    cJSON_Delete(json);
    snprintf(f->base_url, sizeof(f->base_url), "http://127.0.0.1:%d", f->http_port);
    if (f->https_port) {
        snprintf(f->tls_url, sizeof(f->tls_url), "https://127.0.0.1:%d", f->https_port);
    }
    return 0;
}

void fake_aws_stop(fake_aws *f)
{
    if (f->stdin_fd > 0) {
        close(f->stdin_fd);
        f->stdin_fd = 0;
    }
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        waitpid(f->pid, NULL, 0);
        f->pid = 0;
    }
}

typedef struct {
    char *data;
    size_t len;
} grow_buf;

static size_t collect(char *data, size_t size, size_t nmemb, void *userdata)
{
    grow_buf *b = userdata;
    size_t n = size * nmemb;
    char *p = realloc(b->data, b->len + n + 1);
    if (!p) {
        return 0;
    }
    b->data = p;
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

int fake_aws_control(const fake_aws *f, const char *action, const char *json_body, char **response)
{
    char url[256];
    snprintf(url, sizeof(url), "%s/__control/%s", f->base_url, action);
    CURL *curl = curl_easy_init();
    if (!curl) {
        return -1;
    }
    grow_buf buf = {NULL, 0};
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json_body ? json_body : "{}");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &buf);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    CURLcode rc = curl_easy_perform(curl);
    long status = -1;
    if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (response) {
        *response = buf.data ? buf.data : strdup("");
    } else {
        free(buf.data);
    }
    return (int)status;
}

long fake_aws_count(const fake_aws *f, const char *name)
{
    char *body = NULL;
    if (fake_aws_control(f, "counts", NULL, &body) != 200) {
        free(body);
        return -1;
    }
    cJSON *json = cJSON_Parse(body);
    free(body);
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(json, name);
    long count = cJSON_IsNumber(n) ? (long)n->valuedouble : 0;
    cJSON_Delete(json);
    return count;
}

int test_make_tls_files(char *dir, size_t dir_len)
{
    if (dir_len < 64) {
        return -1;
    }
    snprintf(dir, dir_len, "/tmp/rs-tls-XXXXXX");
    if (!mkdtemp(dir)) {
        return -1;
    }
    char cmd[4096];
    /* A CA, a leaf for 127.0.0.1/localhost and a leaf for another name, all signed by the CA. */
    snprintf(cmd, sizeof(cmd),
             "set -e; cd '%s'; "
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
             "-subj '/CN=rdssecret test CA' >/dev/null 2>&1; "
             "for n in server wrong; do "
             "  if [ $n = server ]; then san='subjectAltName=IP:127.0.0.1,DNS:localhost'; "
             "  else san='subjectAltName=DNS:wrong.example'; fi; "
             "  openssl req -newkey rsa:2048 -nodes -keyout $n.key -out $n.csr -subj \"/CN=$n\" >/dev/null 2>&1; "
             "  printf '%%s\\n' \"$san\" > $n.ext; "
             "  openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $n.pem -days 2 "
             "    -extfile $n.ext >/dev/null 2>&1; "
             "done",
             dir);
    return system(cmd) == 0 ? 0 : -1;
}

void test_setenv(const char *name, const char *value, int overwrite)
{
    setenv(name, value, overwrite);
    rs_env_capture();
}

void test_unsetenv(const char *name)
{
    unsetenv(name);
    rs_env_capture();
}
