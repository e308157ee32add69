/* Reading the rotation function's settings from the environment, strictly: a typo is an error, not a default. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static rs_status env_bool(const char *name, bool dflt, bool *out, rs_error *err)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        *out = dflt;
        return RS_OK;
    }
    if (strcasecmp(v, "true") == 0) {
        *out = true;
    } else if (strcasecmp(v, "false") == 0) {
        *out = false;
    } else {
        return rs_error_set(err, RS_ERR_CONFIG, "%s must be true or false", name);
    }
    return RS_OK;
}

static rs_status env_long(const char *name, long dflt, long lo, long hi, long *out, rs_error *err)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        *out = dflt;
        return RS_OK;
    }
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || !end || *end || n < lo || n > hi) {
        return rs_error_set(err, RS_ERR_CONFIG, "%s must be a whole number from %ld to %ld", name, lo, hi);
    }
    *out = n;
    return RS_OK;
}

static rs_status env_string(const char *name, const char *dflt, char *out, size_t out_len, rs_error *err)
{
    const char *v = getenv(name);
    if (!v) {
        v = dflt;
    }
    if (strlen(v) >= out_len) {
        return rs_error_set(err, RS_ERR_CONFIG, "%s is too long", name);
    }
    strcpy(out, v);
    return RS_OK;
}

static bool readable(const char *path)
{
    return path && *path && access(path, R_OK) == 0;
}

static void find_task_root(char *out, size_t out_len)
{
    const char *env = getenv("LAMBDA_TASK_ROOT");
    if (env && *env && strlen(env) < out_len) {
        strcpy(out, env);
        return;
    }
    char exe[RL_PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash && (size_t)(slash - exe) < out_len) {
            *slash = '\0';
            strcpy(out, exe[0] ? exe : "/");
            return;
        }
    }
    out[0] = '\0';
}

/* The CA bundle for HTTPS: the configured one, else the first system bundle present (Amazon Linux first),
 * else the copy inside the package (a zip built here carries Debian's bundle). */
static rs_status find_ca_bundle(const char *task_root, char *out, size_t out_len, rs_error *err)
{
    const char *configured = getenv("AWS_CA_BUNDLE");
    if (configured && *configured) {
        if (!readable(configured)) {
            return rs_error_set(err, RS_ERR_CONFIG, "AWS_CA_BUNDLE '%.300s' cannot be read", configured);
        }
        return env_string("AWS_CA_BUNDLE", "", out, out_len, err);
    }
    static const char *const system_bundles[] = {
        "/etc/pki/tls/certs/ca-bundle.crt",   /* Amazon Linux, RHEL */
        "/etc/ssl/certs/ca-certificates.crt", /* Debian, Ubuntu, Alpine */
        "/etc/ssl/cert.pem",                  /* macOS, BSDs, some minimal images */
    };
    for (size_t i = 0; i < sizeof(system_bundles) / sizeof(system_bundles[0]); i++) {
        if (readable(system_bundles[i])) {
            snprintf(out, out_len, "%s", system_bundles[i]);
            return RS_OK;
        }
    }
    char bundled[RL_PATH_MAX + 32];
    snprintf(bundled, sizeof(bundled), "%s/certs/ca-bundle.crt", task_root);
    if (task_root[0] && readable(bundled) && strlen(bundled) < out_len) {
        strcpy(out, bundled);
        return RS_OK;
    }
    out[0] = '\0';  /* libcurl's built-in default; TLS will fail clearly if there is none */
    return RS_OK;
}

rs_status rl_config_load(rl_config *cfg, rs_error *err)
{
    memset(cfg, 0, sizeof(*cfg));
    rs_status st;
    long n;
    find_task_root(cfg->task_root, sizeof(cfg->task_root));

    /* The AWS templates' defaults: 32 characters, none of / @ " ' \ (they break connection strings and shells). */
    if ((st = env_string("EXCLUDE_CHARACTERS", "/@\"'\\", cfg->exclude_characters, sizeof(cfg->exclude_characters),
                         err)) != RS_OK ||
        (st = env_long("PASSWORD_LENGTH", 32, 1, 4096, &n, err)) != RS_OK) {
        return st;
    }
    cfg->password.length = (int)n;
    cfg->password.exclude_characters = cfg->exclude_characters;
    if ((st = env_bool("EXCLUDE_NUMBERS", false, &cfg->password.exclude_numbers, err)) != RS_OK ||
        (st = env_bool("EXCLUDE_PUNCTUATION", false, &cfg->password.exclude_punctuation, err)) != RS_OK ||
        (st = env_bool("EXCLUDE_UPPERCASE", false, &cfg->password.exclude_uppercase, err)) != RS_OK ||
        (st = env_bool("EXCLUDE_LOWERCASE", false, &cfg->password.exclude_lowercase, err)) != RS_OK ||
        (st = env_bool("REQUIRE_EACH_INCLUDED_TYPE", true, &cfg->password.require_each_included_type, err)) !=
            RS_OK) {
        return st;
    }
    if (cfg->password.exclude_numbers && cfg->password.exclude_punctuation && cfg->password.exclude_uppercase &&
        cfg->password.exclude_lowercase) {
        return rs_error_set(err, RS_ERR_CONFIG, "EXCLUDE_* exclude every character type: no password can be made");
    }

    if ((st = env_string("SECRETS_MANAGER_ENDPOINT", "", cfg->sm_endpoint, sizeof(cfg->sm_endpoint), err)) != RS_OK ||
        (st = find_ca_bundle(cfg->task_root, cfg->sm_ca_file, sizeof(cfg->sm_ca_file), err)) != RS_OK ||
        (st = env_long("SECRETS_MANAGER_CONNECT_TIMEOUT_MS", 2000, 100, 60000, &cfg->sm_connect_timeout_ms, err)) !=
            RS_OK ||
        (st = env_long("SECRETS_MANAGER_TIMEOUT_MS", 5000, 100, 120000, &cfg->sm_timeout_ms, err)) != RS_OK) {
        return st;
    }
    if (cfg->sm_endpoint[0]) {
        char resolved[512];
        if ((st = rs_sm_resolve_endpoint(cfg->sm_endpoint, "us-east-1", resolved, sizeof(resolved), err)) != RS_OK) {
            return rs_error_set(err, RS_ERR_CONFIG, "SECRETS_MANAGER_ENDPOINT: %s", err->message);
        }
    }

    const char *db_ca = getenv("DB_TLS_CA_FILE");
    if (db_ca && *db_ca) {
        if (!readable(db_ca)) {
            return rs_error_set(err, RS_ERR_CONFIG, "DB_TLS_CA_FILE '%.300s' cannot be read", db_ca);
        }
        if ((st = env_string("DB_TLS_CA_FILE", "", cfg->db_ca_file, sizeof(cfg->db_ca_file), err)) != RS_OK) {
            return st;
        }
        cfg->db_ca_file_set = true;
    } else {
        strcpy(cfg->db_ca_file, cfg->sm_ca_file);
    }
    if ((st = env_bool("DB_TLS_VERIFY_HOST", true, &cfg->db_verify_host, err)) != RS_OK ||
        (st = env_long("DB_CONNECT_TIMEOUT", 5, 1, 300, &n, err)) != RS_OK) {
        return st;
    }
    cfg->db_connect_timeout_s = (int)n;
    if ((st = env_long("DB_QUERY_TIMEOUT", 15, 1, 900, &n, err)) != RS_OK) {
        return st;
    }
    cfg->db_query_timeout_s = (int)n;

    const char *plugins = getenv("MARIADB_PLUGIN_DIR");
    if (plugins && *plugins) {
        if ((st = env_string("MARIADB_PLUGIN_DIR", "", cfg->db_plugin_dir, sizeof(cfg->db_plugin_dir), err)) != RS_OK) {
            return st;
        }
    } else if (cfg->task_root[0]) {
        char bundled[RL_PATH_MAX + 32];
        snprintf(bundled, sizeof(bundled), "%s/lib/plugin", cfg->task_root);
        if (access(bundled, X_OK) == 0 && strlen(bundled) < sizeof(cfg->db_plugin_dir)) {
            strcpy(cfg->db_plugin_dir, bundled);
        }
    }

    /* The safe default keeps the old password (it is AWSPREVIOUS's) until the next rotation replaces it, so hosts
     * still holding a cached AWSCURRENT keep logging in after finishSecret, as with alternating users. */
    const char *discard = getenv("DISCARD_OLD_PASSWORD");
    if (!discard || !*discard || strcmp(discard, "next_rotation") == 0) {
        cfg->discard_old_password_at_finish = false;
    } else if (strcmp(discard, "finish_secret") == 0) {
        cfg->discard_old_password_at_finish = true;
    } else {
        return rs_error_set(err, RS_ERR_CONFIG, "DISCARD_OLD_PASSWORD must be next_rotation (the default) or "
                                                "finish_secret");
    }

    if ((st = env_long("USERNAME_MAX_LENGTH", 32, 1, 128, &n, err)) != RS_OK) {
        return st;
    }
    cfg->username_max_length = (int)n;
    if ((st = env_long("DEADLINE_RESERVE_MS", 1500, 0, 60000, &cfg->deadline_reserve_ms, err)) != RS_OK) {
        return st;
    }
    return RS_OK;
}
