/* Credential provider chain, the credentials cache and region lookup (src/creds.c): offline units against
 * files in a private HOME, then the container endpoint and IMDS against the fake AWS on 127.0.0.1.
 * Safety: every test starts with AWS_EC2_METADATA_DISABLED=true and no container variables, so nothing
 * ever reaches 169.254.169.254 or 169.254.170.2; the tests that use IMDS point it at the fake or 127.0.0.1:1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "creds.h"
#include "env.h"
#include "fake_aws_helper.h"
#include "http.h"

#define SECRET_MARK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETMARK"
#define TOKEN_MARK "FwoGZXIvYXdzEJr//////////TOKENMARK"

static char home[64];
static fake_aws fake;

/* Every variable the chain reads; cleared before and after each test. */
static const char *const chain_vars[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
};

/* Files a test wrote, removed by the teardown. */
static char written[16][256];
static int written_count;

static void home_path(char *out, size_t len, const char *rel)
{
    snprintf(out, len, "%s/%s", home, rel);
}

static void write_home_file(const char *rel, const char *content, size_t len)
{
    char path[256];
    home_path(path, sizeof(path), ".aws");
    mkdir(path, 0700);
    home_path(path, sizeof(path), rel);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    rs_env_capture();  /* the core reads shared files when the snapshot is taken */
    for (int i = 0; i < written_count; i++) {
        if (strcmp(written[i], path) == 0) {
            return;
        }
    }
    assert_true(written_count < 16);
    snprintf(written[written_count++], sizeof(written[0]), "%s", path);
}

static void write_home(const char *rel, const char *content)
{
    write_home_file(rel, content, strlen(content));
}

static void reset_env(void)
{
    for (size_t i = 0; i < sizeof(chain_vars) / sizeof(chain_vars[0]); i++) {
        test_unsetenv(chain_vars[i]);
    }
    test_setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    test_setenv("HOME", home, 1);
    for (int i = 0; i < written_count; i++) {
        unlink(written[i]);
    }
    written_count = 0;
}

static int test_setup(void **state)
{
    (void)state;
    reset_env();
    return 0;
}

static int test_teardown(void **state)
{
    (void)state;
    reset_env();
    return 0;
}

static int fake_test_setup(void **state)
{
    (void)state;
    reset_env();
    return fake_aws_control(&fake, "reset", NULL, NULL) == 200 ? 0 : -1;
}

static int offline_group_setup(void **state)
{
    (void)state;
    snprintf(home, sizeof(home), "/tmp/rs-creds-home-XXXXXX");
    return mkdtemp(home) ? 0 : -1;
}

static int offline_group_teardown(void **state)
{
    (void)state;
    reset_env();
    char path[256];
    home_path(path, sizeof(path), ".aws");
    rmdir(path);
    rmdir(home);
    return 0;
}

static int fake_group_setup(void **state)
{
    if (offline_group_setup(state) != 0) {
        return -1;
    }
    return fake_aws_start(&fake, NULL);
}

static int fake_group_teardown(void **state)
{
    fake_aws_stop(&fake);
    return offline_group_teardown(state);
}

static rs_creds_config no_config(void)
{
    rs_creds_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    return cfg;
}

/* IMDS pointed at the fake (AWS_EC2_METADATA_DISABLED lifted for this test only). */
static rs_creds_config imds_on_fake(void)
{
    rs_creds_config cfg = no_config();
    cfg.imds_endpoint = fake.base_url;
    test_unsetenv("AWS_EC2_METADATA_DISABLED");
    return cfg;
}

/* Every IMDS request the fake saw (it counts token, role, credentials and region requests apart). */
static long imds_count(void)
{
    static const char *const names[] = {"imds_token", "imds_role", "imds_credentials", "imds_region", "imds_other"};
    long total = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        total += fake_aws_count(&fake, names[i]);
    }
    return total;
}

static void set_full_uri(const char *path)
{
    char url[256];
    snprintf(url, sizeof(url), "%s%s", fake.base_url, path);
    test_setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
}

static void assert_no_secret_in(const rs_error *err)
{
    assert_null(strstr(err->message, SECRET_MARK));
    assert_null(strstr(err->message, "SECRETMARK"));
    assert_null(strstr(err->message, "TOKENMARK"));
}

static rs_status resolve(const rs_creds_config *cfg, rs_credentials *c, rs_error *err)
{
    return rs_creds_resolve(cfg, c, err);
}

/* --- environment ---------------------------------------------------------------------------------- */

static void env_long_term(void **state)
{
    (void)state;
    test_setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    test_setenv("AWS_SECRET_ACCESS_KEY", SECRET_MARK, 1);
    rs_creds_config cfg = no_config();
    rs_credentials c;
    rs_error err;
    assert_int_equal(resolve(&cfg, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDENV");
    assert_string_equal(c.secret_access_key, SECRET_MARK);
    assert_string_equal(c.session_token, "");
    assert_int_equal(c.expiration, 0);
    assert_string_equal(c.source, "environment");
    assert_int_equal(err.status, RS_OK);
}

static void env_with_session_token(void **state)
{
    (void)state;
    test_setenv("AWS_ACCESS_KEY_ID", "ASIAENV", 1);
    test_setenv("AWS_SECRET_ACCESS_KEY", SECRET_MARK, 1);
    test_setenv("AWS_SESSION_TOKEN", TOKEN_MARK, 1);
    rs_credentials c;
    rs_error err;
    assert_int_equal(resolve(NULL, &c, &err), RS_OK);  /* a NULL config means defaults */
    assert_string_equal(c.session_token, TOKEN_MARK);
    assert_string_equal(c.source, "environment");
}

static void env_half_set_pair_is_config_error(void **state)
{
    (void)state;
    rs_credentials c;
    rs_error err;
    test_setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "AWS_SECRET_ACCESS_KEY"));
    assert_string_equal(c.access_key_id, "");

    test_unsetenv("AWS_ACCESS_KEY_ID");
    test_setenv("AWS_SECRET_ACCESS_KEY", SECRET_MARK, 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "but AWS_ACCESS_KEY_ID is not"));
    assert_no_secret_in(&err);

    /* An empty variable counts as unset, as in the SDKs. */
    test_setenv("AWS_ACCESS_KEY_ID", "", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
}

static void env_bad_values(void **state)
{
    (void)state;
    rs_credentials c;
    rs_error err;
    char long_token[5000];
    memset(long_token, 'T', sizeof(long_token) - 1);
    long_token[sizeof(long_token) - 1] = '\0';
    test_setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    test_setenv("AWS_SECRET_ACCESS_KEY", SECRET_MARK, 1);
    test_setenv("AWS_SESSION_TOKEN", long_token, 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "AWS_SESSION_TOKEN"));
    assert_null(strstr(err.message, "TTTTTTTT"));
    assert_string_equal(c.secret_access_key, "");  /* wiped on failure */

    test_unsetenv("AWS_SESSION_TOKEN");
    test_setenv("AWS_SECRET_ACCESS_KEY", SECRET_MARK "\r\nX-Injected: 1", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "control characters"));
    assert_no_secret_in(&err);
}

static void env_beats_profile(void **state)
{
    (void)state;
    write_home(".aws/credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
    test_setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    test_setenv("AWS_SECRET_ACCESS_KEY", SECRET_MARK, 1);
    rs_credentials c;
    rs_error err;
    assert_int_equal(resolve(NULL, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDENV");
    test_unsetenv("AWS_ACCESS_KEY_ID");
    test_unsetenv("AWS_SECRET_ACCESS_KEY");
    assert_int_equal(resolve(NULL, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDFILE");
    assert_string_equal(c.source, "profile");
}

/* --- shared files ------------------------------------------------------------------------------ */

#define TWO_PROFILES                                                                                   \
    "[default]\n"                                                                                       \
    "aws_access_key_id = AKIDDEFAULT\n"                                                                 \
    "aws_secret_access_key = " SECRET_MARK "\n"                                                         \
    "\n"                                                                                                \
    "[dev]\n"                                                                                           \
    "aws_access_key_id = AKIDDEV\n"                                                                     \
    "aws_secret_access_key = devsecret\n"                                                               \
    "aws_session_token = " TOKEN_MARK "\n"

static void profile_default(void **state)
{
    (void)state;
    write_home(".aws/credentials", TWO_PROFILES);
    rs_credentials c;
    rs_error err;
    assert_int_equal(resolve(NULL, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDDEFAULT");
    assert_string_equal(c.secret_access_key, SECRET_MARK);
    assert_string_equal(c.session_token, "");
    assert_int_equal(c.expiration, 0);
    assert_string_equal(c.source, "profile");
}

static void profile_named_by_env_and_config(void **state)
{
    (void)state;
    write_home(".aws/credentials", TWO_PROFILES "[other]\naws_access_key_id=AKIDOTHER\naws_secret_access_key=o\n");
    rs_credentials c;
    rs_error err;
    test_setenv("AWS_PROFILE", "dev", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDDEV");
    assert_string_equal(c.session_token, TOKEN_MARK);

    /* The configured profile wins over AWS_PROFILE. */
    rs_creds_config cfg = no_config();
    cfg.profile = "other";
    assert_int_equal(resolve(&cfg, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDOTHER");
    assert_string_equal(c.session_token, "");

    test_unsetenv("AWS_PROFILE");
    cfg.profile = "dev";
    assert_int_equal(resolve(&cfg, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDDEV");
}

static void profile_config_file_forms(void **state)
{
    (void)state;
    write_home(".aws/config", "[default]\n"
                              "region = eu-west-1\n"
                              "aws_access_key_id = AKIDCFGDEFAULT\n"
                              "aws_secret_access_key = a\n"
                              "[profile   spaced  ]\n"
                              "aws_access_key_id = AKIDSPACED\n"
                              "aws_secret_access_key = b\n"
                              "[bare]\n"  /* the config file needs "profile NAME": this one is ignored */
                              "aws_access_key_id = AKIDBARE\n"
                              "aws_secret_access_key = c\n"
                              "[profile dev]\n"
                              "aws_access_key_id = AKIDCFGDEV\n"
                              "aws_secret_access_key = d\n");
    rs_credentials c;
    rs_error err;
    rs_creds_config cfg = no_config();
    assert_int_equal(resolve(&cfg, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDCFGDEFAULT");
    cfg.profile = "spaced";
    assert_int_equal(resolve(&cfg, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDSPACED");
    cfg.profile = "dev";
    assert_int_equal(resolve(&cfg, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDCFGDEV");
    cfg.profile = "bare";
    assert_int_equal(resolve(&cfg, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "profile 'bare' not found"));

    /* In the credentials file the bare name is the form, and it wins over the config file. */
    write_home(".aws/credentials", "[dev]\naws_access_key_id = AKIDCREDDEV\naws_secret_access_key = e\n");
    cfg.profile = "dev";
    assert_int_equal(resolve(&cfg, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDCREDDEV");
}

static void profile_syntax(void **state)
{
    (void)state;
    write_home(".aws/credentials",
               "# a comment\r\n"
               "; another comment\r\n"
               "[decoy]\r\n"
               "aws_access_key_id = AKIDDECOY\r\n"
               "aws_secret_access_key = decoy\r\n"
               "[ default ]   ; comment after a header\r\n"
               "  AWS_Access_Key_ID\t=   AKIDSYNTAX   # inline comment\r\n"
               "output = json\r\n"
               "s3 =\r\n"
               "    aws_access_key_id = AKIDNESTED\r\n"  /* a nested setting: continues s3, not a key */
               "aws_secret_access_key:" SECRET_MARK "\r\n"
               "\r\n"
               "   # indented comment\r\n"
               "[other]\r\n"
               "aws_access_key_id = AKIDOTHER\r\n");
    rs_credentials c;
    rs_error err;
    assert_int_equal(resolve(NULL, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDSYNTAX");
    assert_string_equal(c.secret_access_key, SECRET_MARK);

    /* A '#' that is part of a value (no space before it) is kept; a repeated key's last value wins. */
    write_home(".aws/credentials", "[default]\naws_access_key_id = first\naws_access_key_id = AK#ID\n"
                                   "aws_secret_access_key = x;y\n");
    assert_int_equal(resolve(NULL, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AK#ID");
    assert_string_equal(c.secret_access_key, "x;y");

    /* A file without a final newline, with a repeated section merging. */
    write_home(".aws/credentials", "[default]\naws_access_key_id = AKIDMERGE\n[x]\n[default]\n"
                                   "aws_secret_access_key = merged");
    assert_int_equal(resolve(NULL, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDMERGE");
    assert_string_equal(c.secret_access_key, "merged");
}

static void profile_missing(void **state)
{
    (void)state;
    write_home(".aws/credentials", TWO_PROFILES);
    rs_credentials c;
    rs_error err;
    test_setenv("AWS_PROFILE", "nosuch", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "profile 'nosuch' not found"));
    assert_non_null(strstr(err.message, home));

    /* A missing default profile is not an error: the chain goes on and reports what it tried. */
    test_unsetenv("AWS_PROFILE");
    unlink(written[0]);
    rs_env_capture();
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_NO_CREDENTIALS);
    assert_non_null(strstr(err.message, "environment not set"));
    assert_non_null(strstr(err.message, "no profile 'default'"));
    assert_non_null(strstr(err.message, "no container endpoint"));
    assert_non_null(strstr(err.message, "IMDS disabled"));

    /* Explicitly asking for "default" is the same as not asking. */
    test_setenv("AWS_PROFILE", "default", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_NO_CREDENTIALS);

    /* A profile that exists but holds no keys (only a region) falls through. */
    write_home(".aws/config", "[profile regiononly]\nregion = us-west-2\n");
    test_setenv("AWS_PROFILE", "regiononly", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_NO_CREDENTIALS);
    assert_non_null(strstr(err.message, "no keys in profile 'regiononly'"));
}

static void profile_bad_values(void **state)
{
    (void)state;
    rs_credentials c;
    rs_error err;
    char big[6000];
    int n = snprintf(big, sizeof(big), "[default]\naws_access_key_id = AKID\naws_secret_access_key = %s",
                     SECRET_MARK);
    memset(big + n, 'S', 200);  /* a secret longer than the field */
    snprintf(big + n + 200, sizeof(big) - (size_t)n - 200, "\n");
    write_home(".aws/credentials", big);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "aws_secret_access_key"));
    assert_non_null(strstr(err.message, "too long"));
    assert_no_secret_in(&err);
    assert_null(strstr(err.message, "SSSS"));

    n = snprintf(big, sizeof(big), "[default]\naws_access_key_id = AKID\naws_secret_access_key = s\n"
                                   "aws_session_token = ");
    memset(big + n, 'T', 4200);
    snprintf(big + n + 4200, sizeof(big) - (size_t)n - 4200, "\n");
    write_home(".aws/credentials", big);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "aws_session_token"));
    assert_null(strstr(err.message, "TTTT"));

    /* Half a pair in a file is a mistake worth reporting. */
    write_home(".aws/credentials", "[default]\naws_secret_access_key = " SECRET_MARK "\n");
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "no aws_access_key_id"));
    assert_no_secret_in(&err);
}

static void profile_file_size_bound(void **state)
{
    (void)state;
    size_t len = 1024 * 1024 + 1;
    char *big = malloc(len);
    assert_non_null(big);
    const char head[] = "[default]\naws_access_key_id = AKIDBIG\naws_secret_access_key = s\n";
    memset(big, '#', len);
    memcpy(big, head, sizeof(head) - 1);
    big[len - 1] = '\n';
    write_home_file(".aws/credentials", big, len);
    rs_credentials c;
    rs_error err;
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "larger than"));
    /* Exactly at the bound is fine. */
    write_home_file(".aws/credentials", big, len - 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDBIG");
    free(big);
}

static void profile_explicit_files_and_home(void **state)
{
    (void)state;
    write_home(".aws/creds-elsewhere", "[default]\naws_access_key_id = AKIDELSEWHERE\naws_secret_access_key = s\n");
    write_home(".aws/config-elsewhere", "[profile cfgonly]\naws_access_key_id = AKIDCFGELSE\n"
                                        "aws_secret_access_key = s\n");
    write_home(".aws/credentials", TWO_PROFILES);
    rs_credentials c;
    rs_error err;
    test_setenv("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/creds-elsewhere", 1);  /* ~ is $HOME, as in the SDKs */
    assert_int_equal(resolve(NULL, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDELSEWHERE");

    char path[256];
    home_path(path, sizeof(path), ".aws/config-elsewhere");
    test_setenv("AWS_CONFIG_FILE", path, 1);
    test_setenv("AWS_PROFILE", "cfgonly", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDCFGELSE");

    /* An unreadable file is skipped, as the SDKs do, and the reason is reported. */
    test_setenv("AWS_SHARED_CREDENTIALS_FILE", home, 1);  /* a directory */
    test_unsetenv("AWS_PROFILE");
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_NO_CREDENTIALS);
    assert_non_null(strstr(err.message, "Is a directory"));

    /* Without HOME and without explicit files there are no shared files: skipped, not an error... */
    test_unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    test_unsetenv("AWS_CONFIG_FILE");
    test_unsetenv("AWS_PROFILE");
    test_unsetenv("HOME");
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_NO_CREDENTIALS);
    assert_non_null(strstr(err.message, "HOME not set"));
    /* ...unless a named profile was asked for. */
    test_setenv("AWS_PROFILE", "dev", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "profile 'dev' not found"));
}

static void profile_unsupported_sources(void **state)
{
    (void)state;
    rs_credentials c;
    rs_error err;
    write_home(".aws/config", "[profile assume]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
                              "source_profile = default\n"
                              "[profile sso]\nsso_session = corp\n"
                              "[profile both]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
                              "aws_access_key_id = AKIDBOTH\naws_secret_access_key = s\n");
    test_setenv("AWS_PROFILE", "assume", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "role_arn"));
    test_setenv("AWS_PROFILE", "sso", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "sso_session"));
    /* Static keys present: used (documented difference from botocore, which would assume the role). */
    test_setenv("AWS_PROFILE", "both", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDBOTH");

    /* EKS IRSA variables: refused rather than silently using another identity. */
    test_unsetenv("AWS_PROFILE");
    test_setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/token", 1);
    test_setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "AWS_WEB_IDENTITY_TOKEN_FILE"));
    /* ...but environment keys come first. */
    test_setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    test_setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_OK);
}

/* --- time and the cache ---------------------------------------------------------------------------- */

static void iso8601_parsing(void **state)
{
    (void)state;
    assert_int_equal(rs_parse_iso8601_utc("2026-11-29T19:30:00Z"), 1795980600);
    assert_int_equal(rs_parse_iso8601_utc("2026-11-29T19:30:00.123Z"), 1795980600);
    assert_int_equal(rs_parse_iso8601_utc("2026-11-29T19:30:00.123456789Z"), 1795980600);
    assert_int_equal(rs_parse_iso8601_utc("2026-11-29T19:30:00+00:00"), 1795980600);
    assert_int_equal(rs_parse_iso8601_utc("2026-11-29T19:30:00.5+00:00"), 1795980600);
    assert_int_equal(rs_parse_iso8601_utc("2026-11-29T20:30:00+01:00"), 1795980600);
    assert_int_equal(rs_parse_iso8601_utc("2026-11-29T18:00:00-0130"), 1795980600);
    assert_int_equal(rs_parse_iso8601_utc("2024-02-29T00:00:00Z"), 1709164800);
    assert_int_equal(rs_parse_iso8601_utc("2000-01-01T00:00:00Z"), 946684800);
    assert_int_equal(rs_parse_iso8601_utc("1970-01-01T00:00:00Z"), 0);

    static const char *const junk[] = {
        "", "2026-11-29", "2026-11-29T19:30:00", "2026-11-29T19:30:00Zjunk", "2026-11-29T19:30:00Z ",
        " 2026-11-29T19:30:00Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2023-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z", "2026-11-29 19:30:00Z", "2026-11-29T24:00:00Z", "2026-11-29T19:60:00Z",
        "2026-11-29T19:30:00.Z", "2026-1-29T19:30:00Z", "2026-11-29T19:30Z", "1969-12-31T23:59:59Z",
        "2026-11-29T19:30:00+", "2026-11-29T19:30:00+1", "2026-11-29T19:30:00+24:00", "abcd-ef-ghTij:kl:mnZ",
        "+2026-11-29T19:30:00Z",
    };
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        if (rs_parse_iso8601_utc(junk[i]) != -1) {
            fail_msg("accepted '%s'", junk[i]);
        }
    }
    assert_int_equal(rs_parse_iso8601_utc(NULL), -1);
}

static void need_refresh_boundaries(void **state)
{
    (void)state;
    rs_credentials c;
    memset(&c, 0, sizeof(c));
    assert_true(rs_creds_need_refresh(&c, 0));  /* empty */
    snprintf(c.access_key_id, sizeof(c.access_key_id), "AKID");
    assert_false(rs_creds_need_refresh(&c, 0));  /* long-term: never */
    assert_false(rs_creds_need_refresh(&c, (time_t)4000000000));
    c.expiration = 100000;
    assert_false(rs_creds_need_refresh(&c, 100000 - RS_CREDS_REFRESH_MARGIN - 1));
    assert_true(rs_creds_need_refresh(&c, 100000 - RS_CREDS_REFRESH_MARGIN));
    assert_true(rs_creds_need_refresh(&c, 100000));
    assert_true(rs_creds_need_refresh(&c, 200000));
}

static void write_default_keys(const char *key_id)
{
    char text[256];
    snprintf(text, sizeof(text), "[default]\naws_access_key_id = %s\naws_secret_access_key = " SECRET_MARK "\n",
             key_id);
    write_home(".aws/credentials", text);
}

static bool all_zero(const void *p, size_t len)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < len; i++) {
        if (b[i]) {
            return false;
        }
    }
    return true;
}

static void provider_caches_and_invalidates(void **state)
{
    (void)state;
    rs_creds_provider p;
    rs_creds_provider_init(&p, NULL);
    rs_credentials c;
    rs_error err;
    write_default_keys("AKIDFIRST");
    assert_int_equal(rs_creds_provider_get(&p, 1000, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDFIRST");

    write_default_keys("AKIDSECOND");
    assert_int_equal(rs_creds_provider_get(&p, 999999, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDFIRST");  /* long-term keys stay cached */

    rs_creds_provider_invalidate(&p);
    assert_true(all_zero(&p.cached, sizeof(p.cached)));
    assert_int_equal(rs_creds_provider_get(&p, 1000, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDSECOND");

    rs_creds_provider_destroy(&p);
    assert_true(all_zero(&p.cached, sizeof(p.cached)));
}

static void provider_refresh_by_time(void **state)
{
    (void)state;
    rs_creds_provider p;
    rs_creds_config cfg = no_config();
    rs_creds_provider_init(&p, &cfg);
    rs_credentials c;
    rs_error err;
    const time_t exp = 50000;
    write_default_keys("AKIDFIRST");
    assert_int_equal(rs_creds_provider_get(&p, 1000, &c, &err), RS_OK);
    /* Pretend these were temporary credentials expiring at `exp`. */
    p.cached.expiration = exp;

    write_default_keys("AKIDSECOND");
    assert_int_equal(rs_creds_provider_get(&p, exp - RS_CREDS_REFRESH_MARGIN - 1, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDFIRST");
    assert_int_equal(rs_creds_provider_get(&p, exp - RS_CREDS_REFRESH_MARGIN, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDSECOND");
    assert_int_equal(c.expiration, 0);

    /* A refresh that fails while the old credentials are still valid keeps serving them. */
    p.cached.expiration = exp;
    unlink(written[0]);
    rs_env_capture();
    assert_int_equal(rs_creds_provider_get(&p, exp - 10, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, "AKIDSECOND");
    assert_int_equal(err.status, RS_OK);
    assert_int_equal(rs_creds_provider_get(&p, exp - 1, &c, &err), RS_OK);
    /* Past Expiration the failure is reported, and nothing stale is handed out or kept. */
    assert_int_equal(rs_creds_provider_get(&p, exp, &c, &err), RS_ERR_NO_CREDENTIALS);
    assert_string_equal(c.access_key_id, "");
    assert_true(all_zero(&p.cached, sizeof(p.cached)));

    /* And a failure with nothing cached is the chain's error. */
    write_home(".aws/credentials", "[default]\naws_access_key_id = half\n");
    assert_int_equal(rs_creds_provider_get(&p, exp, &c, &err), RS_ERR_CONFIG);
    rs_creds_provider_destroy(&p);
}

/* --- container endpoint: checks that need no network --------------------------------------------------- */

static void container_url_construction(void **state)
{
    (void)state;
    char url[512];
    rs_error err;
    assert_int_equal(rs_creds_container_url(url, sizeof(url), &err), RS_OK);
    assert_string_equal(url, "");  /* nothing configured */

    test_setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/3b4e0a0c-1234", 1);
    test_setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/ignored", 1);
    assert_int_equal(rs_creds_container_url(url, sizeof(url), &err), RS_OK);
    assert_string_equal(url, "http://169.254.170.2/v2/credentials/3b4e0a0c-1234");  /* relative wins */

    static const char *const bad_relative[] = {"v2/credentials", "/a b", "/x\r\nHost: evil", "@evil.com/"};
    for (size_t i = 0; i < sizeof(bad_relative) / sizeof(bad_relative[0]); i++) {
        test_setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", bad_relative[i], 1);
        assert_int_equal(rs_creds_container_url(url, sizeof(url), &err), RS_ERR_CONFIG);
        assert_string_equal(url, "");
    }
    test_unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");

    static const char *const allowed[] = {
        "http://127.0.0.1:8080/creds", "http://localhost/creds", "http://[::1]:80/creds",
        "http://169.254.170.2/creds", "http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/v1/credentials",
        "http://[fd00:ec2:0::0:23]/v1/credentials", "https://creds.example.com/x", "HTTPS://creds.example.com/x",
    };
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        test_setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", allowed[i], 1);
        if (rs_creds_container_url(url, sizeof(url), &err) != RS_OK) {
            fail_msg("refused '%s': %s", allowed[i], err.message);
        }
        assert_string_equal(url, allowed[i]);
    }
    static const char *const refused[] = {
        "http://example.com/creds", "http://169.254.169.254/latest", "http://[fd00:ec2::254]/x",
        "http://10.0.0.1/creds", "ftp://127.0.0.1/creds", "127.0.0.1/creds", "http://user@127.0.0.1/creds",
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        test_setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", refused[i], 1);
        if (rs_creds_container_url(url, sizeof(url), &err) != RS_ERR_CONFIG) {
            fail_msg("allowed '%s'", refused[i]);
        }
    }
}

/* The chain stops on a bad container setting before sending anything (no listener is needed to tell). */
static void container_bad_settings_fail_early(void **state)
{
    (void)state;
    rs_credentials c;
    rs_error err;
    test_setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "no-leading-slash", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"));
    test_unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");

    test_setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "not allowed"));

    test_setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds", 1);
    test_setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer " TOKEN_MARK "\r\nX-Injected: 1", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "line break"));
    assert_no_secret_in(&err);

    test_setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/nonexistent/rdssecret/token", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
}

static void imds_bad_endpoint_is_config_error(void **state)
{
    (void)state;
    rs_credentials c;
    rs_error err;
    rs_creds_config cfg = no_config();
    test_unsetenv("AWS_EC2_METADATA_DISABLED");
    static const char *const bad[] = {"http://example.com", "ftp://127.0.0.1", "127.0.0.1:1",
                                      "http://127.0.0.1:1/latest", "http://127.0.0.1:1?x=1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfg.imds_endpoint = bad[i];
        if (resolve(&cfg, &c, &err) != RS_ERR_CONFIG) {
            fail_msg("endpoint '%s' not refused: %s", bad[i], err.message);
        }
    }
    cfg.imds_endpoint = NULL;
    test_setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://example.com/", 1);
    assert_int_equal(resolve(&cfg, &c, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "AWS_EC2_METADATA_SERVICE_ENDPOINT"));
    test_unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    test_setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv5", 1);
    assert_int_equal(resolve(&cfg, &c, &err), RS_ERR_CONFIG);
}

/* --- region (no network) ------------------------------------------------------------------------ */

static void region_sources(void **state)
{
    (void)state;
    char region[64];
    rs_error err;
    rs_creds_config cfg = no_config();
    assert_int_equal(rs_region_resolve("eu-central-1", &cfg, region, &err), RS_OK);
    assert_string_equal(region, "eu-central-1");

    test_setenv("AWS_DEFAULT_REGION", "us-west-2", 1);
    assert_int_equal(rs_region_resolve(NULL, &cfg, region, &err), RS_OK);
    assert_string_equal(region, "us-west-2");
    test_setenv("AWS_REGION", "ap-southeast-2", 1);
    assert_int_equal(rs_region_resolve("", &cfg, region, &err), RS_OK);  /* "" is "not set" */
    assert_string_equal(region, "ap-southeast-2");
    assert_int_equal(rs_region_resolve("eu-central-1", &cfg, region, &err), RS_OK);
    assert_string_equal(region, "eu-central-1");  /* explicit wins */

    test_unsetenv("AWS_REGION");
    test_unsetenv("AWS_DEFAULT_REGION");
    write_home(".aws/config", "[default]\nregion = eu-west-1 ; comment\n[profile dev]\nregion=us-gov-west-1\n");
    assert_int_equal(rs_region_resolve(NULL, &cfg, region, &err), RS_OK);
    assert_string_equal(region, "eu-west-1");
    test_setenv("AWS_PROFILE", "dev", 1);
    assert_int_equal(rs_region_resolve(NULL, &cfg, region, &err), RS_OK);
    assert_string_equal(region, "us-gov-west-1");
    cfg.profile = "default";
    assert_int_equal(rs_region_resolve(NULL, &cfg, region, &err), RS_OK);
    assert_string_equal(region, "eu-west-1");
}

static void region_invalid_and_missing(void **state)
{
    (void)state;
    char region[64];
    rs_error err;
    static const char *const junk[] = {"EU-WEST-1", "us east 1", "us-east-1\n", "eu_west_1",
                                       "a234567890123456789012345678901234567890123456789012345678901234"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        if (rs_region_resolve(junk[i], NULL, region, &err) != RS_ERR_CONFIG) {
            fail_msg("accepted region '%s'", junk[i]);
        }
        assert_string_equal(region, "");
    }
    test_setenv("AWS_REGION", "Mars", 1);
    assert_int_equal(rs_region_resolve(NULL, NULL, region, &err), RS_ERR_CONFIG);
    assert_non_null(strstr(err.message, "AWS_REGION"));
    test_unsetenv("AWS_REGION");
    write_home(".aws/config", "[default]\nregion = not a region\n");
    assert_int_equal(rs_region_resolve(NULL, NULL, region, &err), RS_ERR_CONFIG);

    write_home(".aws/config", "[default]\noutput = json\n");
    assert_int_equal(rs_region_resolve(NULL, NULL, region, &err), RS_ERR_NO_REGION);
    assert_non_null(strstr(err.message, "rdssecret.region"));
    assert_non_null(strstr(err.message, "AWS_REGION"));
    assert_non_null(strstr(err.message, "IMDS disabled"));
    assert_string_equal(region, "");
}

/* --- container endpoint against the fake --------------------------------------------------------- */

static void container_success(void **state)
{
    (void)state;
    set_full_uri("/container/creds");
    rs_credentials c;
    rs_error err;
    time_t before = time(NULL);
    assert_int_equal(resolve(NULL, &c, &err), RS_OK);
    assert_string_equal(c.source, "container");
    assert_true(strlen(c.access_key_id) > 0);
    assert_true(strlen(c.secret_access_key) > 0);
    assert_true(strlen(c.session_token) > 0);
    assert_in_range(c.expiration, before + 3600 - 5, before + 3600 + 5);
    assert_int_equal(fake_aws_count(&fake, "container"), 1);
}

static void container_authorization_token(void **state)
{
    (void)state;
    assert_int_equal(fake_aws_control(&fake, "container", "{\"token\": \"Bearer " TOKEN_MARK "\"}", NULL), 200);
    set_full_uri("/container/creds");
    rs_credentials c;
    rs_error err;

    /* No token: the endpoint refuses, and a configured endpoint failing is an error (no fall-through). */
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_AUTH);
    assert_int_equal(err.http_status, 401);

    test_setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer " TOKEN_MARK, 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_OK);
    assert_string_equal(c.source, "container");

    test_setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer wrong-TOKENMARK", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_AUTH);
    assert_no_secret_in(&err);

    /* The file wins over the variable, and its trailing newline is trimmed. */
    write_home(".aws/token", "Bearer " TOKEN_MARK "\n");
    char path[256];
    home_path(path, sizeof(path), ".aws/token");
    test_setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path, 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_OK);

    long before = fake_aws_count(&fake, "container");
    write_home(".aws/token", "Bearer " TOKEN_MARK "\nX-Injected: 1\n");
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_no_secret_in(&err);
    test_unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    test_setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer " TOKEN_MARK "\r", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_int_equal(fake_aws_count(&fake, "container"), before);  /* refused before any request */
}

static void container_disallowed_host_sends_nothing(void **state)
{
    (void)state;
    rs_credentials c;
    rs_error err;
    test_setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/container/creds", 1);
    assert_int_equal(resolve(NULL, &c, &err), RS_ERR_CONFIG);
    assert_int_equal(fake_aws_count(&fake, "container"), 0);
}

static void container_failure_is_not_a_fall_through(void **state)
{
    (void)state;
    rs_creds_config cfg = imds_on_fake();
    set_full_uri("/container/creds");
    assert_int_equal(fake_aws_control(&fake, "fault", "{\"target\": \"container\", \"kind\": \"status\", "
                                                      "\"status\": 500, \"count\": -1}", NULL), 200);
    rs_credentials c;
    rs_error err;
    assert_int_equal(resolve(&cfg, &c, &err), RS_ERR_SERVICE);
    assert_int_equal(err.http_status, 500);
    assert_int_equal(fake_aws_count(&fake, "container"), 3);  /* 3 attempts */
    assert_int_equal(imds_count(), 0);

    /* One failure then success: the retry hides it. */
    assert_int_equal(fake_aws_control(&fake, "clear_faults", NULL, NULL), 200);
    assert_int_equal(fake_aws_control(&fake, "fault", "{\"target\": \"container\", \"kind\": \"status\", "
                                                      "\"status\": 503}", NULL), 200);
    assert_int_equal(resolve(&cfg, &c, &err), RS_OK);
    assert_int_equal(fake_aws_count(&fake, "container"), 5);

    assert_int_equal(fake_aws_control(&fake, "fault", "{\"target\": \"container\", \"kind\": \"malformed\"}", NULL),
                     200);
    assert_int_equal(resolve(&cfg, &c, &err), RS_ERR_MALFORMED);

    cfg.metadata_attempts = 1;
    assert_int_equal(fake_aws_control(&fake, "fault", "{\"target\": \"container\", \"kind\": \"status\", "
                                                      "\"status\": 500}", NULL), 200);
    assert_int_equal(resolve(&cfg, &c, &err), RS_ERR_SERVICE);
}

static void container_timeout(void **state)
{
    (void)state;
    rs_creds_config cfg = no_config();
    cfg.metadata_timeout_ms = 200;
    cfg.metadata_attempts = 2;
    set_full_uri("/container/creds");
    assert_int_equal(fake_aws_control(&fake, "fault", "{\"target\": \"container\", \"kind\": \"delay\", "
                                                      "\"delay_ms\": 1000, \"count\": 2}", NULL), 200);
    rs_credentials c;
    rs_error err;
    assert_int_equal(resolve(&cfg, &c, &err), RS_ERR_TIMEOUT);
    assert_non_null(strstr(err.message, "container"));
}

static void container_expiry_and_refresh(void **state)
{
    (void)state;
    set_full_uri("/container/creds");
    rs_creds_provider p;
    rs_creds_provider_init(&p, NULL);
    rs_credentials c, first;
    rs_error err;
    time_t now = time(NULL);
    assert_int_equal(rs_creds_provider_get(&p, now, &first, &err), RS_OK);
    assert_int_equal(rs_creds_provider_get(&p, now + 60, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, first.access_key_id);
    assert_int_equal(fake_aws_count(&fake, "container"), 1);

    /* Within the margin before Expiration: fetched again (the fake hands out the same credentials
     * until they near their real expiry, as the services do). */
    assert_int_equal(rs_creds_provider_get(&p, first.expiration - RS_CREDS_REFRESH_MARGIN, &c, &err), RS_OK);
    assert_int_equal(fake_aws_count(&fake, "container"), 2);

    /* Credentials that already expire within the margin are fetched on every call. */
    rs_creds_provider_invalidate(&p);
    assert_int_equal(fake_aws_control(&fake, "container", "{\"expiration_seconds\": 600}", NULL), 200);
    assert_int_equal(rs_creds_provider_get(&p, now, &c, &err), RS_OK);
    assert_int_equal(rs_creds_provider_get(&p, now, &c, &err), RS_OK);
    assert_int_equal(fake_aws_count(&fake, "container"), 4);

    /* The endpoint failing while the cached credentials are valid: they keep being served. */
    rs_credentials cached = c;
    assert_int_equal(fake_aws_control(&fake, "fault", "{\"target\": \"container\", \"kind\": \"status\", "
                                                      "\"status\": 500, \"count\": -1}", NULL), 200);
    assert_int_equal(rs_creds_provider_get(&p, now, &c, &err), RS_OK);
    assert_string_equal(c.access_key_id, cached.access_key_id);
    assert_int_equal(rs_creds_provider_get(&p, cached.expiration, &c, &err), RS_ERR_SERVICE);
    rs_creds_provider_destroy(&p);
}

/* --- IMDS against the fake --------------------------------------------------------------------------- */

static void imds_v2_success(void **state)
{
    (void)state;
    rs_creds_config cfg = imds_on_fake();
    rs_credentials c;
    rs_error err;
    time_t before = time(NULL);
    assert_int_equal(resolve(&cfg, &c, &err), RS_OK);
    assert_string_equal(c.source, "imds");
    assert_true(strlen(c.access_key_id) > 0);
    assert_true(strlen(c.secret_access_key) > 0);
    assert_true(strlen(c.session_token) > 0);
    assert_in_range(c.expiration, before + 3600 - 5, before + 3600 + 5);
    assert_int_equal(imds_count(), 3);  /* token, role, credentials */

    /* The endpoint may also come from the environment, with a trailing slash. */
    char url[128];
    snprintf(url, sizeof(url), "%s/", fake.base_url);
    test_setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
    cfg.imds_endpoint = NULL;
    assert_int_equal(resolve(&cfg, &c, &err), RS_OK);
    assert_string_equal(c.source, "imds");
}

static void imds_v1_refused_by_default(void **state)
{
    (void)state;
    rs_creds_config cfg = imds_on_fake();
    assert_int_equal(fake_aws_control(&fake, "imds", "{\"allow_v1\": true}", NULL), 200);
    assert_int_equal(fake_aws_control(&fake, "fault", "{\"target\": \"imds\", \"kind\": \"status\", "
                                                      "\"status\": 403, \"count\": 1}", NULL), 200);
    rs_credentials c;
    rs_error err;
    assert_int_equal(resolve(&cfg, &c, &err), RS_ERR_NO_CREDENTIALS);
    assert_non_null(strstr(err.message, "IMDSv2"));
    assert_non_null(strstr(err.message, "imds_v1_fallback"));
    assert_int_equal(imds_count(), 1);  /* no v1 request was made */
}

static void imds_v1_fallback_when_allowed(void **state)
{
    (void)state;
    rs_creds_config cfg = imds_on_fake();
    cfg.imds_v1_fallback = true;
    assert_int_equal(fake_aws_control(&fake, "imds", "{\"allow_v1\": true}", NULL), 200);
    assert_int_equal(fake_aws_control(&fake, "fault", "{\"target\": \"imds\", \"kind\": \"status\", "
                                                      "\"status\": 403, \"count\": 1}", NULL), 200);
    rs_credentials c;
    rs_error err;
    assert_int_equal(resolve(&cfg, &c, &err), RS_OK);
    assert_string_equal(c.source, "imds");
    assert_true(strlen(c.session_token) > 0);
    assert_int_equal(imds_count(), 3);

    /* Fallback allowed but the instance wants tokens after all: a clear failure, not a loop. */
    assert_int_equal(fake_aws_control(&fake, "imds", "{\"allow_v1\": false}", NULL), 200);
    assert_int_equal(fake_aws_control(&fake, "fault", "{\"target\": \"imds\", \"kind\": \"status\", "
                                                      "\"status\": 404, \"count\": 1}", NULL), 200);
    assert_int_equal(resolve(&cfg, &c, &err), RS_ERR_NO_CREDENTIALS);
    assert_non_null(strstr(err.message, "401"));
}

static void imds_disabled_sends_nothing(void **state)
{
    (void)state;
    rs_creds_config cfg = imds_on_fake();
    rs_credentials c;
    rs_error err;
    char region[64];
    static const char *const values[] = {"true", "TRUE", "True"};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        test_setenv("AWS_EC2_METADATA_DISABLED", values[i], 1);
        assert_int_equal(resolve(&cfg, &c, &err), RS_ERR_NO_CREDENTIALS);
        assert_non_null(strstr(err.message, "IMDS disabled"));
        assert_int_equal(rs_region_resolve(NULL, &cfg, region, &err), RS_ERR_NO_REGION);
    }
    assert_int_equal(imds_count(), 0);
    /* Any other value leaves IMDS on. */
    test_setenv("AWS_EC2_METADATA_DISABLED", "false", 1);
    assert_int_equal(resolve(&cfg, &c, &err), RS_OK);
}

static void imds_region(void **state)
{
    (void)state;
    rs_creds_config cfg = imds_on_fake();
    char region[64];
    rs_error err;
    assert_int_equal(fake_aws_control(&fake, "imds", "{\"region\": \"eu-west-3\"}", NULL), 200);
    assert_int_equal(rs_region_resolve(NULL, &cfg, region, &err), RS_OK);
    assert_string_equal(region, "eu-west-3");
    assert_int_equal(imds_count(), 2);  /* token, region */

    /* Earlier sources win without asking IMDS. */
    write_home(".aws/config", "[default]\nregion = ca-central-1\n");
    assert_int_equal(rs_region_resolve(NULL, &cfg, region, &err), RS_OK);
    assert_string_equal(region, "ca-central-1");
    assert_int_equal(imds_count(), 2);

    /* An IMDS answer that is not a region is not used. */
    unlink(written[0]);
    rs_env_capture();
    assert_int_equal(fake_aws_control(&fake, "imds", "{\"region\": \"Not A Region\"}", NULL), 200);
    assert_int_equal(rs_region_resolve(NULL, &cfg, region, &err), RS_ERR_NO_REGION);
    assert_non_null(strstr(err.message, "IMDS"));
}

static double elapsed_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void imds_unreachable(void **state)
{
    (void)state;
    rs_creds_config cfg = no_config();
    cfg.imds_endpoint = "http://127.0.0.1:1";
    test_unsetenv("AWS_EC2_METADATA_DISABLED");
    rs_credentials c;
    rs_error err;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    assert_int_equal(resolve(&cfg, &c, &err), RS_ERR_NO_CREDENTIALS);
    assert_true(elapsed_since(&start) < 2.0);
    assert_non_null(strstr(err.message, "environment not set"));
    assert_non_null(strstr(err.message, "no container endpoint"));
    assert_non_null(strstr(err.message, "IMDS: "));
    assert_non_null(strstr(err.message, "127.0.0.1"));

    cfg.imds_v1_fallback = true;  /* refused connections do not trigger a v1 attempt either */
    assert_int_equal(resolve(&cfg, &c, &err), RS_ERR_NO_CREDENTIALS);

    char region[64];
    assert_int_equal(rs_region_resolve(NULL, &cfg, region, &err), RS_ERR_NO_REGION);
    assert_non_null(strstr(err.message, "IMDS: "));
}

static void imds_token_timeout(void **state)
{
    (void)state;
    rs_creds_config cfg = imds_on_fake();
    cfg.metadata_timeout_ms = 200;
    assert_int_equal(fake_aws_control(&fake, "fault", "{\"target\": \"imds\", \"kind\": \"delay\", "
                                                      "\"delay_ms\": 1000, \"count\": 1}", NULL), 200);
    rs_credentials c;
    rs_error err;
    assert_int_equal(resolve(&cfg, &c, &err), RS_ERR_NO_CREDENTIALS);
    assert_non_null(strstr(err.message, "hop limit"));
    assert_int_equal(imds_count(), 1);
}

static void imds_expiring_credentials_refetched(void **state)
{
    (void)state;
    rs_creds_config cfg = imds_on_fake();
    rs_creds_provider p;
    rs_creds_provider_init(&p, &cfg);
    rs_credentials c;
    rs_error err;
    time_t now = time(NULL);
    assert_int_equal(rs_creds_provider_get(&p, now, &c, &err), RS_OK);
    assert_int_equal(rs_creds_provider_get(&p, now, &c, &err), RS_OK);
    assert_int_equal(imds_count(), 3);  /* cached: one hour left */

    rs_creds_provider_invalidate(&p);
    assert_int_equal(fake_aws_control(&fake, "imds", "{\"expiration_seconds\": 600}", NULL), 200);
    assert_int_equal(rs_creds_provider_get(&p, now, &c, &err), RS_OK);
    assert_true(rs_creds_need_refresh(&c, now));
    assert_int_equal(rs_creds_provider_get(&p, now, &c, &err), RS_OK);
    assert_int_equal(imds_count(), 9);
    assert_string_equal(c.source, "imds");
    assert_true(strlen(c.session_token) > 0);
    rs_creds_provider_destroy(&p);
}

static void imds_expired_token_refetched_once(void **state)
{
    (void)state;
    rs_creds_config cfg = imds_on_fake();
    /* The first fault lets the token request through untouched; the second answers the role lookup 401,
     * as IMDS does for an expired token. */
    assert_int_equal(fake_aws_control(&fake, "fault", "{\"target\": \"imds\", \"kind\": \"delay\", "
                                                      "\"delay_ms\": 0}", NULL), 200);
    assert_int_equal(fake_aws_control(&fake, "fault", "{\"target\": \"imds\", \"kind\": \"status\", "
                                                      "\"status\": 401}", NULL), 200);
    rs_credentials c;
    rs_error err;
    assert_int_equal(resolve(&cfg, &c, &err), RS_OK);
    assert_string_equal(c.source, "imds");
    assert_int_equal(fake_aws_count(&fake, "imds_token"), 2);
    assert_int_equal(fake_aws_count(&fake, "imds_role"), 2);
    assert_int_equal(fake_aws_count(&fake, "imds_credentials"), 1);

    /* Only once: a second 401 after the new token is a failure. */
    assert_int_equal(fake_aws_control(&fake, "reset", NULL, NULL), 200);
    assert_int_equal(fake_aws_control(&fake, "fault", "{\"target\": \"imds\", \"kind\": \"delay\", "
                                                      "\"delay_ms\": 0}", NULL), 200);
    assert_int_equal(fake_aws_control(&fake, "fault", "{\"target\": \"imds\", \"kind\": \"status\", "
                                                      "\"status\": 401, \"count\": -1}", NULL), 200);
    assert_int_equal(resolve(&cfg, &c, &err), RS_ERR_NO_CREDENTIALS);
    assert_non_null(strstr(err.message, "401"));
    assert_int_equal(fake_aws_count(&fake, "imds_token"), 2);
}

static void imds_bad_role_name(void **state)
{
    (void)state;
    rs_creds_config cfg = imds_on_fake();
    assert_int_equal(fake_aws_control(&fake, "imds", "{\"role\": \"../../x\"}", NULL), 200);
    rs_credentials c;
    rs_error err;
    assert_int_equal(resolve(&cfg, &c, &err), RS_ERR_NO_CREDENTIALS);
    assert_non_null(strstr(err.message, "role name"));
    assert_int_equal(imds_count(), 2);
}

static void precedence_profile_container_imds(void **state)
{
    (void)state;
    rs_creds_config cfg = imds_on_fake();
    set_full_uri("/container/creds");
    write_default_keys("AKIDPROFILE");
    rs_credentials c;
    rs_error err;
    assert_int_equal(resolve(&cfg, &c, &err), RS_OK);
    assert_string_equal(c.source, "profile");
    assert_int_equal(fake_aws_count(&fake, "container"), 0);

    unlink(written[0]);
    rs_env_capture();
    assert_int_equal(resolve(&cfg, &c, &err), RS_OK);
    assert_string_equal(c.source, "container");
    assert_int_equal(imds_count(), 0);

    test_unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    assert_int_equal(resolve(&cfg, &c, &err), RS_OK);
    assert_string_equal(c.source, "imds");
}

int main(void)
{
    /* Metadata and AWS calls never use a proxy (http.c sets NOPROXY), but be sure nothing here would. */
    test_unsetenv("http_proxy");
    test_unsetenv("HTTP_PROXY");
    test_unsetenv("https_proxy");
    test_unsetenv("HTTPS_PROXY");
    test_unsetenv("all_proxy");
    test_unsetenv("ALL_PROXY");
    rs_error err;
    if (rs_http_global_init(&err) != RS_OK) {
        fprintf(stderr, "# %s\n", err.message);
        return 1;
    }
#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)
    const struct CMUnitTest offline[] = {
        T(env_long_term),
        T(env_with_session_token),
        T(env_half_set_pair_is_config_error),
        T(env_bad_values),
        T(env_beats_profile),
        T(profile_default),
        T(profile_named_by_env_and_config),
        T(profile_config_file_forms),
        T(profile_syntax),
        T(profile_missing),
        T(profile_bad_values),
        T(profile_file_size_bound),
        T(profile_explicit_files_and_home),
        T(profile_unsupported_sources),
        T(iso8601_parsing),
        T(need_refresh_boundaries),
        T(provider_caches_and_invalidates),
        T(provider_refresh_by_time),
        T(container_url_construction),
        T(container_bad_settings_fail_early),
        T(imds_bad_endpoint_is_config_error),
        T(region_sources),
        T(region_invalid_and_missing),
        T(imds_unreachable),
    };
#undef T
#define F(f) cmocka_unit_test_setup_teardown(f, fake_test_setup, test_teardown)
    const struct CMUnitTest with_fake[] = {
        F(container_success),
        F(container_authorization_token),
        F(container_disallowed_host_sends_nothing),
        F(container_failure_is_not_a_fall_through),
        F(container_timeout),
        F(container_expiry_and_refresh),
        F(imds_v2_success),
        F(imds_v1_refused_by_default),
        F(imds_v1_fallback_when_allowed),
        F(imds_disabled_sends_nothing),
        F(imds_region),
        F(imds_token_timeout),
        F(imds_expiring_credentials_refetched),
        F(imds_expired_token_refetched_once),
        F(imds_bad_role_name),
        F(precedence_profile_container_imds),
    };
#undef F
    int failed = cmocka_run_group_tests_name("creds_offline", offline, offline_group_setup, offline_group_teardown);
    failed += cmocka_run_group_tests_name("creds_fake_aws", with_fake, fake_group_setup, fake_group_teardown);
    rs_http_global_cleanup();
    return failed;
}
