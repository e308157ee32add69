/* Fuzz target: the shared credentials and config files (~/.aws/credentials, ~/.aws/config), read by the real
 * credential chain and region lookup (src/creds.c) from files this target writes for each input.
 *
 * Input: the parameters (profile=NAME, else "default"), then the credentials file's text, then the config
 * file's text (sections of the script; a missing one means no such file). The files are read when the
 * environment snapshot is taken (rs_env_capture), as the extension reads them at MINIT. The environment holds no
 * credentials and turns IMDS off, so the chain ends at the files (any HTTP request breaks an invariant).
 * Invariants: credentials taken from a profile come byte for byte from one of the files, key id and secret from
 * the same file, with no control characters; a region comes from the config file and is a valid name; a
 * failure is a configuration error or "no credentials", never an internal error. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creds.h"
#include "env.h"
#include "fuzz_http_script.h"

static char dir_path[64], credentials_path[4096], config_path[4096];

static void remove_files(void)
{
    unlink(credentials_path);
    unlink(config_path);
    rmdir(dir_path);
}

static void no_http(const rs_http_request *req, void *ctx)
{
    (void)req;
    (void)ctx;
    fz_fail("the shared files alone never lead to an HTTP request (IMDS is off, no container endpoint)");
}

static void write_file(const char *path, const fz_span *text)
{
    unlink(path);
    if (!text) {
        return;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FZ_ASSERT(fd >= 0, "the target can write its files");
    size_t done = 0;
    while (done < text->len) {
        ssize_t n = write(fd, text->p + done, text->len - done);
        FZ_ASSERT(n > 0, "the target can write its files");
        done += (size_t)n;
    }
    close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(dir_path, sizeof(dir_path), "%s", "/tmp/rdssecret-fuzz-profile-XXXXXX");
    if (!mkdtemp(dir_path)) {
        abort();
    }
    snprintf(credentials_path, sizeof(credentials_path), "%s/credentials", dir_path);
    snprintf(config_path, sizeof(config_path), "%s/config", dir_path);
    atexit(remove_files);
    static const char *const unset[] = {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION",
        "AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_EC2_METADATA_SERVICE_ENDPOINT"};
    for (size_t i = 0; i < sizeof(unset) / sizeof(unset[0]); i++) {
        unsetenv(unset[i]);
    }
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", credentials_path, 1);
    setenv("AWS_CONFIG_FILE", config_path, 1);
    return 0;
}

static bool from_file(const fz_span *file, const char *value)
{
    return file && fz_contains(file->p, file->len, value, strlen(value));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_script script;
    fz_script_init(&script, data, size);
    fz_span credentials, config;
    bool have_credentials = fz_script_next(&script, &credentials);
    bool have_config = fz_script_next(&script, &config);
    write_file(credentials_path, have_credentials ? &credentials : NULL);
    write_file(config_path, have_config ? &config : NULL);
    rs_env_capture();  /* the snapshot reads the shared files (src/env.h) */
    char profile[200];
    bool named = fz_param(&script, "profile", profile, sizeof(profile));

    rs_creds_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.profile = named ? profile : NULL;
    fz_http_use(NULL);
    fz_http_set_hook(no_http, NULL);

    rs_credentials c;
    rs_error err;
    rs_error_clear(&err);
    rs_status st = rs_creds_resolve(&cfg, &c, &err);
    if (st == RS_OK) {
        FZ_ASSERT(strcmp(c.source, "profile") == 0, "credentials come from the profile");
        const fz_span *f1 = have_credentials ? &credentials : NULL, *f2 = have_config ? &config : NULL;
        bool in1 = from_file(f1, c.access_key_id) && from_file(f1, c.secret_access_key) &&
                   (!c.session_token[0] || from_file(f1, c.session_token));
        bool in2 = from_file(f2, c.access_key_id) && from_file(f2, c.secret_access_key) &&
                   (!c.session_token[0] || from_file(f2, c.session_token));
        FZ_ASSERT(in1 || in2, "key id, secret and token come from one file, byte for byte");
        for (const char *p = c.access_key_id; *p; p++) {
            FZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f, "no control character in a key id");
        }
        FZ_ASSERT(c.expiration == 0, "keys from a file do not expire");
    } else {
        FZ_ASSERT(err.status == st && (st == RS_ERR_CONFIG || st == RS_ERR_NO_CREDENTIALS),
                  "a failure is a configuration error or no credentials");
    }
    rs_credentials_wipe(&c);

    char region[64];
    rs_error_clear(&err);
    st = rs_region_resolve(NULL, &cfg, region, &err);
    if (st == RS_OK) {
        FZ_ASSERT(rs_region_is_valid(region, strlen(region)), "a region is a valid name");
        FZ_ASSERT(have_config && from_file(&config, region), "the region comes from the config file");
    } else {
        FZ_ASSERT(err.status == st && (st == RS_ERR_CONFIG || st == RS_ERR_NO_REGION),
                  "a failed region lookup is a configuration error or no region");
    }
    fz_http_set_hook(NULL, NULL);
    return 0;
}
