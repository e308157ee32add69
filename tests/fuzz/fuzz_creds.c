/* Fuzz target: the credential chain's network providers (src/creds.c), the container endpoint (ECS, EKS Pod
 * Identity) and EC2 IMDSv2, and the region lookup from IMDS, behind scripted HTTP (fuzz_http_script.c).
 *
 * Parameters: source=container|imds|region, v1=1 (allow the IMDSv1 fallback), attempts=1..3.
 * Invariants: plain http only to the metadata hosts, no CR/LF in any header (an IMDS token or role name from an
 * answer never splits a request line; checked for every request), the role name that reaches a URL holds only
 * the characters IAM allows, a token sent is printable without spaces, a bounded number of requests; credentials returned are non-empty, free of control characters, NUL-terminated within their
 * fields and name their source; IMDS credentials always have a token and an expiration; a region is valid. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creds.h"
#include "env.h"
#include "fuzz_http_script.h"

#define IMDS "http://169.254.169.254"
#define ROLE_PATH "/latest/meta-data/iam/security-credentials/"

typedef struct {
    bool imds;
} creds_ctx;

static bool role_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c && strchr("+=,.@_-", c));
}

static void check_request(const rs_http_request *req, void *ctx_)
{
    creds_ctx *ctx = ctx_;
    FZ_ASSERT(req->plain_policy == RS_HTTP_PLAIN_METADATA, "metadata requests use the metadata policy");
    FZ_ASSERT(req->max_response_bytes > 0 && req->max_response_bytes <= 64 * 1024, "metadata answers are bounded");
    if (!ctx->imds) {
        FZ_ASSERT(strcmp(req->method, "GET") == 0, "the container endpoint is read with GET");
        FZ_ASSERT(strcmp(req->url, "http://169.254.170.2/v2/credentials/fuzz") == 0 ||
                      strcmp(req->url, "http://127.0.0.1:9911/creds") == 0,
                  "the container request goes to the configured URL");
        const char *auth = fz_http_header(req, "Authorization");
        FZ_ASSERT(!auth || strcmp(auth, "fuzz-auth-token") == 0, "only the configured Authorization is sent");
        return;
    }
    FZ_ASSERT(strncmp(req->url, IMDS "/", sizeof(IMDS)) == 0, "IMDS requests go to the IMDS address");
    const char *path = req->url + sizeof(IMDS) - 1;
    if (strcmp(req->method, "PUT") == 0) {
        FZ_ASSERT(strcmp(path, "/latest/api/token") == 0, "the token is asked for with PUT /latest/api/token");
        FZ_ASSERT(fz_http_header(req, "X-aws-ec2-metadata-token-ttl-seconds"), "the token request has a TTL");
        return;
    }
    FZ_ASSERT(strcmp(req->method, "GET") == 0, "IMDS reads are GETs");
    const char *token = fz_http_header(req, "X-aws-ec2-metadata-token");
    if (token) {
        FZ_ASSERT(*token, "a token header is never empty");
        for (const char *p = token; *p; p++) {
            FZ_ASSERT(*p > 0x20 && *p < 0x7f, "a token is printable without spaces");
        }
    }
    if (strncmp(path, ROLE_PATH, sizeof(ROLE_PATH) - 1) == 0) {
        const char *role = path + sizeof(ROLE_PATH) - 1;
        size_t n = strlen(role);
        FZ_ASSERT(n <= 128, "a role name is at most 128 characters");
        for (size_t i = 0; i < n; i++) {
            FZ_ASSERT(role_char(role[i]), "a role name in the URL holds only IAM's characters");
        }
    } else {
        FZ_ASSERT(strcmp(path, "/latest/meta-data/placement/region") == 0, "IMDS paths are the known ones");
    }
}

static bool printable(const char *s, size_t field_size)
{
    if (!memchr(s, '\0', field_size)) {
        return false;
    }
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            return false;
        }
    }
    return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static const char *const unset[] = {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION",
        "AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"};
    for (size_t i = 0; i < sizeof(unset) / sizeof(unset[0]); i++) {
        unsetenv(unset[i]);
    }
    /* No shared files: the chain goes on to the network providers. */
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/fuzz/credentials", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/fuzz/config", 1);
    rs_env_capture();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_script script;
    fz_script_init(&script, data, size);
    char source[16];
    fz_param(&script, "source", source, sizeof(source));
    bool container = strcmp(source, "container") == 0 || strcmp(source, "container-full") == 0;
    bool region = strcmp(source, "region") == 0;
    /* The environment picks the provider; it is set and captured (src/env.h) before the chain reads it, again
     * only when the provider changes (a capture costs locked pages). */
    static char captured[16] = "-";
    if (strcmp(captured, container ? source : "imds") != 0) {
        snprintf(captured, sizeof(captured), "%s", container ? source : "imds");
        if (container) {
            if (strcmp(source, "container") == 0) {
                setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/fuzz", 1);
                unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
            } else {
                unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
                setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9911/creds", 1);
            }
            setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "fuzz-auth-token", 1);
        } else {
            unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
            unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
            unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
        }
        rs_env_capture();
    }
    rs_creds_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.imds_endpoint = IMDS;
    cfg.imds_v1_fallback = fz_param_long(&script, "v1", 0, 0, 1) == 1;
    cfg.metadata_attempts = (int)fz_param_long(&script, "attempts", 0, 0, 3);

    creds_ctx ctx = {.imds = !container};
    fz_http_use(&script);
    fz_http_set_hook(check_request, &ctx);
    rs_error err;
    rs_error_clear(&err);
    if (region) {
        char out[64];
        rs_status st = rs_region_resolve(NULL, &cfg, out, &err);
        if (st == RS_OK) {
            FZ_ASSERT(rs_region_is_valid(out, strlen(out)), "a region found is a valid region name");
        } else {
            FZ_ASSERT(err.status == st && st != RS_ERR_INTERNAL, "a failed lookup says why");
        }
    } else {
        rs_credentials c;
        rs_status st = rs_creds_resolve(&cfg, &c, &err);
        if (st == RS_OK) {
            FZ_ASSERT(c.access_key_id[0] && c.secret_access_key[0], "credentials have a key id and a secret");
            FZ_ASSERT(printable(c.access_key_id, sizeof(c.access_key_id)) &&
                          printable(c.secret_access_key, sizeof(c.secret_access_key)) &&
                          printable(c.session_token, sizeof(c.session_token)),
                      "credential fields are terminated and free of control characters");
            FZ_ASSERT(strcmp(c.source, container ? "container" : "imds") == 0, "credentials name their source");
            if (!container) {
                FZ_ASSERT(c.session_token[0] && c.expiration > 0, "IMDS credentials have a token and an expiration");
            }
            FZ_ASSERT(c.expiration >= 0, "an expiration is a time");
            FZ_ASSERT(!rs_creds_need_refresh(&c, 0), "fresh credentials need no refresh at time 0");
        } else {
            FZ_ASSERT(err.status == st, "the error record holds the returned status");
            for (size_t i = 0; i < sizeof(c); i++) {
                FZ_ASSERT(((const unsigned char *)&c)[i] == 0, "failed credentials are wiped");
            }
        }
        rs_credentials_wipe(&c);
    }
    /* Container: 3 attempts at most. IMDS: token, role, credentials, plus one token refetch and a retry of
     * each after a 401, with the configured attempts each. */
    FZ_ASSERT(fz_http_request_count() <= 16, "a bounded number of metadata requests");
    fz_http_set_hook(NULL, NULL);
    fz_http_use(NULL);
    return 0;
}
