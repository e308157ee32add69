/* rdssecret: the PHP-facing layer (INI, module lifecycle, functions, MINFO). Kept thin: the work is done
 * by the C core in src/ (no Zend headers there), which the rotation function shares. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "php_ini.h"
#include "SAPI.h"
#include "ext/standard/info.h"
#include "zend_exceptions.h"
#include "zend_smart_str.h"
#include "ext/spl/spl_exceptions.h"

#include <cJSON.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <strings.h>
#include <unistd.h>

#include "php_rdssecret.h"
#include "rdssecret_arginfo.h"
#include "src/creds.h"
#include "src/env.h"
#include "src/error.h"
#include "src/http.h"
#include "src/secmem.h"
#include "src/secret.h"
#include "src/shmcache.h"
#include "src/sm.h"

ZEND_DECLARE_MODULE_GLOBALS(rdssecret)

static zend_class_entry *rdssecret_ce_exception;
static int rdssecret_module_number;

/* Made once in MINIT, before the FPM master or Apache parent forks: every worker inherits the same mapping. */
static rs_shmcache *rdssecret_shm;
/* Process-wide, not per thread: set in MINIT, read in MSHUTDOWN, both on the main thread. */
static bool rdssecret_http_ready;

#define KEY_SEPARATOR '\x1f'

/* This process's copy of one slot's value: handed out without copying while it is current. */
typedef struct rdssecret_local_entry {
    uint64_t generation;            /* 0: no copy */
    int64_t expires_at_ms;
    uint64_t pinned_request;        /* the request that last read it: it keeps this version to its end */
    uint64_t read_request;          /* the request that last read it, even if a refresh released the pin since */
    bool stale;
    bool is_binary;
    bool overflow_logged;           /* this key found no shared slot, and the log said so */
    void *block;                    /* secmem: every string below lives here (see local_entry_fill) */
    zend_string *password;          /* NULL when the secret has no password field */
    uint32_t field_count;
    zend_string **field_keys;
    zend_string **field_values;
    char version_id[RS_SHMCACHE_VERSION_ID_MAX];
    char stages[RS_SHMCACHE_STAGES_MAX];
    int64_t fetched_at_unix_ms;
} rdssecret_local_entry;

/* The per-process Secrets Manager client, made at the first call (region lookup may need IMDS); in secmem, since
 * it caches credentials. Everything it acts on comes from php.ini and the environment snapshot (src/env.h). */
typedef struct {
    bool ready;
    rs_creds_config creds_config;
    rs_creds_provider creds;
    rs_sm_client client;
    char region[64];
    /* What, besides the secret id and stage, decides what a fetch returns: the region, the endpoint and a digest
     * of the credential identity. Part of every slot key, so that a pool only shares slots with pools that
     * fetch exactly as it does. */
    char key_suffix[RS_SHMCACHE_KEY_MAX / 2];
} rdssecret_fetcher;

static rdssecret_fetcher *fetcher;  /* per process; workers fork before any fetch */
static char *value_buffer;          /* per process (secmem), RS_SHMCACHE_VALUE_MAX + 1 bytes, wiped after use */
/* Keys that find no shared slot are cached here, in this process only (made when first needed). */
static rs_shmcache *rdssecret_private;
#define RDSSECRET_PRIVATE_SLOTS 32
/* Set in a forked child (pthread_atfork): its first request takes the environment snapshot again. */
static volatile bool rdssecret_forked;

/* --- INI ------------------------------------------------------------------------------------------- */

/* Bounds keep every derived millisecond value far from overflow (and the lease token within its bits). */
#define RDSSECRET_MAX_SECONDS (10L * 365 * 86400)

/* Defaults, named once: the entries below use them, and a refused value falls back to them. */
#define DEFAULT_ENABLED "1"
#define DEFAULT_VERSION_STAGE "AWSCURRENT"
#define DEFAULT_ALLOWED_STAGES "AWSCURRENT,AWSPENDING,AWSPREVIOUS"
#define DEFAULT_TTL "300"
#define DEFAULT_MAX_STALE "86400"
#define DEFAULT_REFRESH_MIN_INTERVAL "5"
#define DEFAULT_CONNECT_TIMEOUT_MS "1000"
#define DEFAULT_TIMEOUT_MS "3000"
#define DEFAULT_FETCH_TIMEOUT_MS "4000"
#define DEFAULT_SHM_SLOTS "16"
#define DEFAULT_IAM_TOKEN_LIFETIME "900"

static const struct {
    const char *name, *value;
} ini_defaults[] = {
    {"rdssecret.enabled", DEFAULT_ENABLED}, {"rdssecret.imds_v1_fallback", "0"},
    {"rdssecret.version_stage", DEFAULT_VERSION_STAGE}, {"rdssecret.allowed_version_stages", DEFAULT_ALLOWED_STAGES},
    {"rdssecret.ttl", DEFAULT_TTL}, {"rdssecret.max_stale", DEFAULT_MAX_STALE},
    {"rdssecret.refresh_min_interval", DEFAULT_REFRESH_MIN_INTERVAL},
    {"rdssecret.connect_timeout_ms", DEFAULT_CONNECT_TIMEOUT_MS}, {"rdssecret.timeout_ms", DEFAULT_TIMEOUT_MS},
    {"rdssecret.fetch_timeout_ms", DEFAULT_FETCH_TIMEOUT_MS},
    {"rdssecret.shm_slots", DEFAULT_SHM_SLOTS}, {"rdssecret.iam_token_lifetime", DEFAULT_IAM_TOKEN_LIFETIME},
};

/* A setting's value for a message: printable, at most 100 characters. */
static void shown_value(const zend_string *value, char out[108])
{
    size_t n = 0;
    for (size_t i = 0; i < ZSTR_LEN(value) && n < 100; i++) {
        unsigned char c = (unsigned char)ZSTR_VAL(value)[i];
        out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    strcpy(out + n, ZSTR_LEN(value) > 100 ? "'..." : "'");
}

/* A refused setting: a warning that names it, what is wrong and what is used instead. FAILURE makes PHP keep
 * the default (at startup) or the value it had (an FPM pool's php_admin_value), which is what it names. */
static zend_result ini_refuse(zend_ini_entry *entry, const zend_string *value, const char *why, int stage)
{
    const char *safe = "";
    for (size_t i = 0; i < sizeof(ini_defaults) / sizeof(ini_defaults[0]); i++) {
        if (strcmp(ini_defaults[i].name, ZSTR_VAL(entry->name)) == 0) {
            safe = ini_defaults[i].value;
        }
    }
    if (stage != ZEND_INI_STAGE_STARTUP && entry->value) {
        safe = ZSTR_VAL(entry->value);
    }
    char shown[108];
    shown_value(value, shown);
    zend_error(E_WARNING, "%s = '%s: %s; using %s%s%s", ZSTR_VAL(entry->name), shown, why, *safe ? "'" : "",
               *safe ? safe : "none (unset)", *safe ? "'" : "");
    return FAILURE;
}

/* A refused setting that says where to fetch from: replacing it would send requests somewhere the operator did not
 * choose, so it is kept, and every fetch fails with a configuration error naming it until it is fixed. */
static zend_result ini_fail_closed(zend_ini_entry *entry, zend_string *value, const char *why, int stage,
                                   void *mh_arg1, void *mh_arg2, void *mh_arg3)
{
    char shown[108];
    shown_value(value, shown);
    zend_error(E_WARNING, "%s = '%s: %s; kept, so every fetch fails with a configuration error until it is fixed",
               ZSTR_VAL(entry->name), shown, why);
    return OnUpdateString(entry, value, mh_arg1, mh_arg2, mh_arg3, stage);
}

/* php-fpm applies a FastCGI request's PHP_VALUE and PHP_ADMIN_VALUE parameters through the handlers without looking
 * at a setting's PHP_INI_SYSTEM mode, and keeps them for the rest of the worker's life. Any client of the pool's
 * socket can send them, a script of the pool among them, so rdssecret's settings refuse a change while a request is
 * being set up: they come from php.ini and the pool's php_admin_value (applied when the worker starts) only. */
static bool ini_change_from_request(zend_ini_entry *entry, int stage)
{
    if (stage != ZEND_INI_STAGE_ACTIVATE || !SG(server_context) || !sapi_module.name ||
        (strcmp(sapi_module.name, "fpm-fcgi") != 0 && strcmp(sapi_module.name, "cgi-fcgi") != 0)) {
        return false;
    }
    zend_error(E_WARNING, "%s: refused from a FastCGI request (PHP_VALUE/PHP_ADMIN_VALUE); set it in php.ini or the "
               "pool's php_admin_value", ZSTR_VAL(entry->name));
    return true;
}

#define REFUSE_FROM_REQUEST()                                                                             \
    do {                                                                                                  \
        if (ini_change_from_request(entry, stage)) {                                                      \
            return FAILURE;                                                                               \
        }                                                                                                 \
    } while (0)

/* A whole number within bounds, nothing else: "10s", "-5", "1e9" and "" are refused, not read as 10, 0 or 1. */
static bool parse_bounded(const zend_string *value, zend_long min, zend_long max, zend_long *out)
{
    const char *p = ZSTR_VAL(value);
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (*p < '0' || *p > '9') {
        return false;
    }
    zend_long v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (max - (*p - '0')) / 10) {
            return false;
        }
        v = v * 10 + (*p - '0');
    }
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (*p || v < min) {
        return false;
    }
    *out = v;
    return true;
}

#define BOUNDED_LONG_HANDLER(name, min, max, unit)                                                        \
    static ZEND_INI_MH(name)                                                                              \
    {                                                                                                     \
        REFUSE_FROM_REQUEST();                                                                            \
        zend_long value;                                                                                  \
        if (!parse_bounded(new_value, (min), (max), &value)) {                                            \
            char why[96];                                                                                 \
            snprintf(why, sizeof(why), "not a whole number from %ld to %ld %s", (long)(min), (long)(max), \
                     unit);                                                                               \
            return ini_refuse(entry, new_value, why, stage);                                              \
        }                                                                                                 \
        return OnUpdateLong(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);                          \
    }
BOUNDED_LONG_HANDLER(OnUpdatePositiveSeconds, 1, RDSSECRET_MAX_SECONDS, "seconds")
BOUNDED_LONG_HANDLER(OnUpdateSeconds, 0, RDSSECRET_MAX_SECONDS, "seconds")
BOUNDED_LONG_HANDLER(OnUpdateMilliseconds, 1, 600000, "milliseconds")
BOUNDED_LONG_HANDLER(OnUpdateSlots, 1, 4096, "slots")
/* RDS accepts tokens valid up to 15 minutes; shorter ones are less worth stealing (and let tests see renewals). */
BOUNDED_LONG_HANDLER(OnUpdateTokenLifetime, 3, 900, "seconds")

static ZEND_INI_MH(OnUpdateStrictBool)
{
    REFUSE_FROM_REQUEST();
    static const char *const words[] = {"1", "0", "on", "off", "yes", "no", "true", "false", ""};
    bool known = false;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]) && !known; i++) {
        known = strcasecmp(ZSTR_VAL(new_value), words[i]) == 0;
    }
    if (!known) {
        return ini_refuse(entry, new_value, "not a boolean (On/Off, 1/0, yes/no, true/false)", stage);
    }
    return OnUpdateBool(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

static bool printable_within(const char *s, size_t len, size_t max)
{
    if (len > max) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            return false;
        }
    }
    return true;
}

static ZEND_INI_MH(OnUpdateSecretId)
{
    REFUSE_FROM_REQUEST();
    if (!printable_within(ZSTR_VAL(new_value), ZSTR_LEN(new_value), 2048)) {
        return ini_refuse(entry, new_value, "a secret id is at most 2048 printable characters", stage);
    }
    return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

static ZEND_INI_MH(OnUpdateIdList)
{
    REFUSE_FROM_REQUEST();
    const char *list = ZSTR_VAL(new_value);
    while (*list) {
        list += strspn(list, ", \t");
        size_t n = strcspn(list, ", \t");
        if (n && !printable_within(list, n, 2048)) {
            return ini_refuse(entry, new_value, "each id is at most 2048 printable characters", stage);
        }
        list += n;
    }
    return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

/* One entry of rdssecret.iam_allowed: user@host:port (the user may hold '@'; the last one separates the host). */
static bool iam_entry_parse(const char *entry, size_t n, size_t *user_len, size_t *host_off, size_t *host_len,
                            int *port)
{
    const char *at = NULL, *colon = NULL;
    for (size_t i = 0; i < n; i++) {
        if (entry[i] == '@') {
            at = entry + i;
        }
    }
    if (!at || at == entry) {
        return false;
    }
    for (const char *p = at + 1; p < entry + n; p++) {
        if (*p == ':') {
            colon = p;
        }
    }
    if (!colon || colon == at + 1 || colon + 1 == entry + n || (size_t)(at - entry) > 32) {
        return false;
    }
    long value = 0;
    for (const char *p = colon + 1; p < entry + n; p++) {
        if (*p < '0' || *p > '9' || (value = value * 10 + (*p - '0')) > 65535) {
            return false;
        }
    }
    if (value < 1) {
        return false;
    }
    *user_len = (size_t)(at - entry);
    *host_off = (size_t)(at + 1 - entry);
    *host_len = (size_t)(colon - at - 1);
    *port = (int)value;
    return printable_within(entry, n, 300);
}

static ZEND_INI_MH(OnUpdateIamList)
{
    REFUSE_FROM_REQUEST();
    const char *list = ZSTR_VAL(new_value);
    while (*list) {
        list += strspn(list, ", \t");
        size_t n = strcspn(list, ", \t"), user_len, host_off, host_len;
        int port;
        if (n && !iam_entry_parse(list, n, &user_len, &host_off, &host_len, &port)) {
            return ini_refuse(entry, new_value, "each entry must be user@host:port (a user of at most 32 "
                                                "characters, a port from 1 to 65535)", stage);
        }
        list += n;
    }
    return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

static bool is_aws_stage(const char *s, size_t n)
{
    static const char *const stages[] = {"AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"};
    for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
        if (n == strlen(stages[i]) && memcmp(s, stages[i], n) == 0) {
            return true;
        }
    }
    return false;
}

/* A staging label: printable, at most 256 characters; "AWS..." names Secrets Manager's own three only (a typo
 * such as AWSCURENT would otherwise be a label nobody sets, read in vain on every request). */
static bool stage_valid(const char *s, size_t n)
{
    return n > 0 && printable_within(s, n, 256) && (n < 3 || memcmp(s, "AWS", 3) != 0 || is_aws_stage(s, n));
}

static ZEND_INI_MH(OnUpdateStage)
{
    REFUSE_FROM_REQUEST();
    if (ZSTR_LEN(new_value) && !stage_valid(ZSTR_VAL(new_value), ZSTR_LEN(new_value))) {
        return ini_refuse(entry, new_value, "not a staging label (AWSCURRENT, AWSPENDING, AWSPREVIOUS or a label "
                                            "of your own, at most 256 printable characters)", stage);
    }
    return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

static ZEND_INI_MH(OnUpdateStageList)
{
    REFUSE_FROM_REQUEST();
    const char *list = ZSTR_VAL(new_value);
    while (*list) {
        list += strspn(list, ", \t");
        size_t n = strcspn(list, ", \t");
        if (n && !stage_valid(list, n)) {
            return ini_refuse(entry, new_value, "each entry must be a staging label (AWSCURRENT, AWSPENDING, "
                                                "AWSPREVIOUS or a label of your own)", stage);
        }
        list += n;
    }
    return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

static ZEND_INI_MH(OnUpdateRegion)
{
    REFUSE_FROM_REQUEST();
    if (ZSTR_LEN(new_value) && !rs_region_is_valid(ZSTR_VAL(new_value), ZSTR_LEN(new_value))) {
        return ini_fail_closed(entry, new_value, "not an AWS region name (lower-case letters, digits and '-')", stage,
                               mh_arg1, mh_arg2, mh_arg3);
    }
    return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

static ZEND_INI_MH(OnUpdateEndpoint)
{
    REFUSE_FROM_REQUEST();
    if (ZSTR_LEN(new_value)) {
        char out[512];
        rs_error err;
        rs_error_clear(&err);
        if (rs_sm_resolve_endpoint(ZSTR_VAL(new_value), "us-east-1", out, sizeof(out), &err) != RS_OK) {
            const char *cause = strstr(err.message, ": ");
            return ini_fail_closed(entry, new_value, cause ? cause + 2 : err.message, stage, mh_arg1, mh_arg2,
                                   mh_arg3);
        }
    }
    return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

static ZEND_INI_MH(OnUpdateImdsEndpoint)
{
    REFUSE_FROM_REQUEST();
    if (ZSTR_LEN(new_value)) {
        rs_url url;
        rs_error err;
        rs_error_clear(&err);
        bool ok = rs_url_parse(ZSTR_VAL(new_value), &url, &err) == RS_OK && strcmp(url.path, "/") == 0 &&
                  !strpbrk(ZSTR_VAL(new_value), "?#") &&
                  (strcmp(url.scheme, "https") == 0 || rs_host_is_metadata(url.host) || rs_host_is_loopback(url.host));
        if (!ok) {
            return ini_fail_closed(entry, new_value, "not scheme://host[:port] (http:// only to the metadata address "
                                                     "or loopback)", stage, mh_arg1, mh_arg2, mh_arg3);
        }
    }
    return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

static ZEND_INI_MH(OnUpdateCaFile)
{
    REFUSE_FROM_REQUEST();
    /* Kept even when unreadable now (the file may appear, or be readable only to the pool's user): TLS then fails
     * closed with a clear error, never open. */
    if (ZSTR_LEN(new_value) && access(ZSTR_VAL(new_value), R_OK) != 0) {
        zend_error(E_WARNING, "rdssecret.ca_file = '%.200s': cannot be read (%s); TLS to Secrets Manager "
                              "fails until it can", ZSTR_VAL(new_value), strerror(errno));
    }
    return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

/* Every setting is PHP_INI_SYSTEM: php.ini, or php_admin_value in an FPM pool. A script (ini_set,
 * .user.ini, php_value) can neither point the extension at another endpoint nor widen its secrets. */
PHP_INI_BEGIN()
    STD_PHP_INI_BOOLEAN("rdssecret.enabled", DEFAULT_ENABLED, PHP_INI_SYSTEM, OnUpdateStrictBool,
        enabled, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.secret_id", "", PHP_INI_SYSTEM, OnUpdateSecretId,
        secret_id, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.allowed_secret_ids", "", PHP_INI_SYSTEM, OnUpdateIdList,
        allowed_secret_ids, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.region", "", PHP_INI_SYSTEM, OnUpdateRegion,
        region, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.endpoint", "", PHP_INI_SYSTEM, OnUpdateEndpoint,
        endpoint, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.version_stage", DEFAULT_VERSION_STAGE, PHP_INI_SYSTEM, OnUpdateStage,
        version_stage, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.allowed_version_stages", DEFAULT_ALLOWED_STAGES, PHP_INI_SYSTEM,
        OnUpdateStageList, allowed_version_stages, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.ttl", DEFAULT_TTL, PHP_INI_SYSTEM, OnUpdatePositiveSeconds,
        ttl, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.max_stale", DEFAULT_MAX_STALE, PHP_INI_SYSTEM, OnUpdateSeconds,
        max_stale, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.refresh_min_interval", DEFAULT_REFRESH_MIN_INTERVAL, PHP_INI_SYSTEM,
        OnUpdateSeconds, refresh_min_interval, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.connect_timeout_ms", DEFAULT_CONNECT_TIMEOUT_MS, PHP_INI_SYSTEM,
        OnUpdateMilliseconds, connect_timeout_ms, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.timeout_ms", DEFAULT_TIMEOUT_MS, PHP_INI_SYSTEM, OnUpdateMilliseconds,
        timeout_ms, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.fetch_timeout_ms", DEFAULT_FETCH_TIMEOUT_MS, PHP_INI_SYSTEM, OnUpdateMilliseconds,
        fetch_timeout_ms, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.ca_file", "", PHP_INI_SYSTEM, OnUpdateCaFile,
        ca_file, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.imds_endpoint", "", PHP_INI_SYSTEM, OnUpdateImdsEndpoint,
        imds_endpoint, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_BOOLEAN("rdssecret.imds_v1_fallback", "0", PHP_INI_SYSTEM, OnUpdateStrictBool,
        imds_v1_fallback, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.shm_slots", DEFAULT_SHM_SLOTS, PHP_INI_SYSTEM, OnUpdateSlots,
        shm_slots, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.iam_allowed", "", PHP_INI_SYSTEM, OnUpdateIamList,
        iam_allowed, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.iam_token_lifetime", DEFAULT_IAM_TOKEN_LIFETIME, PHP_INI_SYSTEM, OnUpdateTokenLifetime,
        iam_token_lifetime, zend_rdssecret_globals, rdssecret_globals)
#ifdef RDSSECRET_DEBUG
    /* Test builds only (fault injection a script may set): the n-th value write from now kills its process half
     * way; the next slot claim kills it between claiming and writing the key; the next fetch kills it while it
     * holds the fetch lease, before any request. */
    STD_PHP_INI_ENTRY("rdssecret.debug_kill_mid_write", "0", PHP_INI_ALL, OnUpdateLongGEZero,
        debug_kill_mid_write, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.debug_kill_mid_claim", "0", PHP_INI_ALL, OnUpdateLongGEZero,
        debug_kill_mid_claim, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.debug_kill_in_fetch", "0", PHP_INI_ALL, OnUpdateLongGEZero,
        debug_kill_in_fetch, zend_rdssecret_globals, rdssecret_globals)
#endif
PHP_INI_END()

static const char *ini_or_null(const char *value)
{
    return value && *value ? value : NULL;
}

/* --- errors ---------------------------------------------------------------------------------------- */

static void throw_error(const char *secret_id, const rs_error *err)
{
    zend_throw_exception_ex(rdssecret_ce_exception, (zend_long)err->status, "rdssecret: secret '%s': %s",
                            secret_id ? secret_id : "", err->message);
}

static void throw_status(const char *secret_id, rs_status status, const char *message)
{
    rs_error err;
    rs_error_set(&err, status, "%s", message);
    throw_error(secret_id, &err);
}

/* --- fetching ---------------------------------------------------------------------------------------- */

/* The digest that ends every slot key of this process (computed once, without network I/O): the credential
 * identity and every rdssecret setting. Pools configured differently never share a slot, so nothing one pool's
 * scripts cause (a failing fetch and its host-wide backoff, a spent refresh rate limit, a held lease, a slot
 * left mid-write) reaches a pool configured otherwise; and rds_secret_info() shows a pool exactly its own slots. */
static char rdssecret_pool_digest[33];

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *pool_digest(void)
{
    if (rdssecret_pool_digest[0]) {
        return rdssecret_pool_digest;
    }
    const char *settings[32] = {0};
    char *pairs[32] = {0};
    size_t n_settings = 0;
    zend_ini_entry *ini;
    ZEND_HASH_FOREACH_PTR(EG(ini_directives), ini) {
        if (ini->module_number != rdssecret_module_number || n_settings == sizeof(settings) / sizeof(settings[0]) ||
            strncmp(ZSTR_VAL(ini->name), "rdssecret.debug_", 16) == 0) {
            continue;
        }
        spprintf(&pairs[n_settings], 0, "%s=%s", ZSTR_VAL(ini->name), ini->value ? ZSTR_VAL(ini->value) : "");
        settings[n_settings] = pairs[n_settings];
        n_settings++;
    } ZEND_HASH_FOREACH_END();
    /* By name: the table's order is not stable (ini_get_all() sorts it in place). */
    qsort(pairs, n_settings, sizeof(pairs[0]), compare_strings);
    for (size_t i = 0; i < n_settings; i++) {
        settings[i] = pairs[i];
    }
    rs_env_credential_digest(settings, n_settings, rdssecret_pool_digest);
    for (size_t i = 0; i < n_settings; i++) {
        efree(pairs[i]);
    }
    return rdssecret_pool_digest;
}

/* Whether a slot key ends with this process's digest: the slot is this pool's. */
static bool key_is_ours(const char *key)
{
    const char *digest = pool_digest();
    size_t key_len = strlen(key), digest_len = strlen(digest);
    return key_len > digest_len && key[key_len - digest_len - 1] == KEY_SEPARATOR &&
           strcmp(key + key_len - digest_len, digest) == 0;
}

static void fetcher_reset(void)
{
    if (fetcher) {
        if (fetcher->ready) {
            rs_creds_provider_destroy(&fetcher->creds);
        }
        rs_secmem_free(fetcher);
        fetcher = NULL;
    }
}

static rs_status fetcher_ready(rs_error *err)
{
    if (fetcher && fetcher->ready) {
        return RS_OK;
    }
    if (!fetcher && !(fetcher = rs_secmem_alloc(sizeof(*fetcher)))) {
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    rdssecret_fetcher *f = fetcher;
    memset(f, 0, sizeof(*f));
    f->creds_config.imds_endpoint = ini_or_null(RDSSECRET_G(imds_endpoint));
    f->creds_config.imds_v1_fallback = RDSSECRET_G(imds_v1_fallback);
    rs_creds_provider_init(&f->creds, &f->creds_config);
    rs_status st = rs_region_resolve(ini_or_null(RDSSECRET_G(region)), &f->creds_config, f->region, err);
    if (st != RS_OK) {
        return st;
    }
    rs_sm_config cfg = {
        .region = f->region,
        .endpoint = ini_or_null(RDSSECRET_G(endpoint)),
        .ca_file = ini_or_null(RDSSECRET_G(ca_file)),
        .connect_timeout_ms = (long)RDSSECRET_G(connect_timeout_ms),
        .timeout_ms = (long)RDSSECRET_G(timeout_ms),
        /* One fetch, every attempt and pause included: a cold host whose Secrets Manager does not answer fails its
         * first request in this time, and the host-wide backoff answers the next ones at once. */
        .total_timeout_ms = (long)RDSSECRET_G(fetch_timeout_ms),
        .creds = &f->creds,
    };
    st = rs_sm_client_init(&f->client, &cfg, err);
    if (st != RS_OK) {
        return st;
    }
    int n = snprintf(f->key_suffix, sizeof(f->key_suffix), "%c%s%c%s%c%s", KEY_SEPARATOR, f->region, KEY_SEPARATOR,
                     f->client.endpoint, KEY_SEPARATOR, pool_digest());
    if (n < 0 || (size_t)n >= sizeof(f->key_suffix)) {
        return rs_error_set(err, RS_ERR_CONFIG, "the Secrets Manager endpoint URL is too long");
    }
    f->ready = true;
    return RS_OK;
}

typedef struct {
    const char *secret_id;
    const char *version_stage;
} fetch_request;

static rs_status fetch_secret(void *ctx, rs_secret_value *out, rs_error *err)
{
    const fetch_request *req = ctx;
    rs_status st = fetcher_ready(err);
    if (st != RS_OK) {
        return st;
    }
#ifdef RDSSECRET_DEBUG
    rs_shmcache_debug_kill_mid_write = (int)RDSSECRET_G(debug_kill_mid_write);
    if (RDSSECRET_G(debug_kill_in_fetch)) {
        kill(getpid(), SIGKILL);
    }
#endif
    st = rs_sm_get_secret_value(&fetcher->client, req->secret_id, NULL, req->version_stage, out, err);
    if (st == RS_OK) {
        snprintf(out->source, sizeof(out->source), "%s", fetcher->creds.cached.source);
    }
    return st;
}

/* The fetch lease: the longest a fetch can take, by construction (the client's call budget, which a deadline
 * enforces, plus one credential lookup that may start just before it), with a margin for scheduling. A live
 * fetcher is therefore never taken for dead. Needs the fetcher (resolve_target makes it). */
static int64_t fetch_lease_ms(void)
{
    return (int64_t)rs_sm_budget_ms(&fetcher->client) + (int64_t)rs_creds_budget_ms(&fetcher->creds_config) + 2000;
}

static rs_shmcache_policy cache_policy(void)
{
    int64_t ttl_ms = (int64_t)RDSSECRET_G(ttl) * 1000;
    rs_shmcache_policy p = {
        .ttl_ms = ttl_ms,
        .max_stale_ms = (int64_t)RDSSECRET_G(max_stale) * 1000,
        .refresh_min_interval_ms = (int64_t)RDSSECRET_G(refresh_min_interval) * 1000,
        .lease_ms = fetch_lease_ms(),
        .backoff_base_ms = 1000,
        /* Never wait longer than a TTL (nor a minute) between attempts after failures. */
        .backoff_max_ms = ttl_ms < 1000 ? 1000 : (ttl_ms > 60000 ? 60000 : ttl_ms),
    };
    return p;
}

/* --- this process's copies ----------------------------------------------------------------------------- */

/* A per-process copy handed to scripts without copying. It is flagged as an interned string: the engine then
 * never refcounts or frees it, and treats it as immutable (a script that modifies it gets its own copy).
 * Like the engine's own request-interned strings it must outlive every request that saw it, so a replaced
 * copy is retired, and wiped and freed only when the next request starts. Not IS_STR_PERMANENT: nothing may
 * keep it beyond that. Every string of one version lives in one secmem block (excluded from core dumps). */
static size_t secret_string_size(size_t len)
{
    return ZEND_MM_ALIGNED_SIZE(_ZSTR_STRUCT_SIZE(len));
}

static zend_string *secret_string_place(char **cursor, const char *value, size_t len)
{
    zend_string *s = (zend_string *)*cursor;
    *cursor += secret_string_size(len);
    GC_SET_REFCOUNT(s, 1);
    GC_TYPE_INFO(s) = GC_STRING | ((IS_STR_INTERNED | IS_STR_PERSISTENT) << GC_FLAGS_SHIFT);
    ZSTR_H(s) = 0;
    ZSTR_LEN(s) = len;
    memcpy(ZSTR_VAL(s), value, len);
    ZSTR_VAL(s)[len] = '\0';
    zend_string_hash_val(s);  /* interned strings carry their hash: they may become array keys */
    return s;
}

static void block_retire(void *block)
{
    if (RDSSECRET_G(retired_count) == RDSSECRET_G(retired_capacity)) {
        uint32_t capacity = RDSSECRET_G(retired_capacity) ? RDSSECRET_G(retired_capacity) * 2 : 16;
        RDSSECRET_G(retired) = perealloc(RDSSECRET_G(retired), capacity * sizeof(void *), 1);
        RDSSECRET_G(retired_capacity) = capacity;
    }
    RDSSECRET_G(retired)[RDSSECRET_G(retired_count)++] = block;
}

/* Wipe and free the copies replaced during earlier requests: no script can hold them any more. */
static void free_retired_blocks(void)
{
    for (uint32_t i = 0; i < RDSSECRET_G(retired_count); i++) {
        rs_secmem_free(RDSSECRET_G(retired)[i]);
    }
    RDSSECRET_G(retired_count) = 0;
}

static void local_entry_clear(rdssecret_local_entry *e, bool retire)
{
    bool logged = e->overflow_logged;
    if (e->block) {
        if (retire) {
            block_retire(e->block);
        } else {
            rs_secmem_free(e->block);
        }
    }
    memset(e, 0, sizeof(*e));
    e->overflow_logged = logged;
}

/* This process's copies: one per shared slot, then one per private slot. */
static rdssecret_local_entry *local_entries(void)
{
    if (!RDSSECRET_G(local)) {
        RDSSECRET_G(local) = pecalloc(rs_shmcache_slot_count(rdssecret_shm) + RDSSECRET_PRIVATE_SLOTS,
                                      sizeof(rdssecret_local_entry), 1);
    }
    return RDSSECRET_G(local);
}

/* Rebuild a local entry from a fresh copy of the slot (value in value_buffer). */
static bool local_entry_fill(rdssecret_local_entry *e, const rs_shmcache_entry *src, const char *secret_id)
{
    local_entry_clear(e, true);
    e->is_binary = src->is_binary;
    memcpy(e->version_id, src->version_id, sizeof(e->version_id));
    memcpy(e->stages, src->stages, sizeof(e->stages));
    e->fetched_at_unix_ms = src->fetched_at_unix_ms;
    if (src->is_binary) {
        return true;
    }
    rs_secret_fields fields;
    rs_error err;
    if (rs_secret_fields_parse(src->value, src->value_len, &fields, &err) != RS_OK) {
        throw_error(secret_id, &err);
        return false;
    }
    size_t count = fields.count, size = 2 * (count ? count : 1) * sizeof(zend_string *);
    size = ZEND_MM_ALIGNED_SIZE(size);
    for (size_t i = 0; i < count; i++) {
        size += secret_string_size(strlen(fields.fields[i].key)) + secret_string_size(fields.fields[i].value_len);
    }
    e->block = rs_secmem_alloc(size);
    if (!e->block) {
        rs_secret_fields_free(&fields);
        throw_status(secret_id, RS_ERR_INTERNAL, "out of memory for this process's copy of the secret");
        return false;
    }
    e->field_keys = e->block;
    e->field_values = e->field_keys + (count ? count : 1);
    char *cursor = (char *)e->block + ZEND_MM_ALIGNED_SIZE(2 * (count ? count : 1) * sizeof(zend_string *));
    for (size_t i = 0; i < count; i++) {
        e->field_keys[i] = secret_string_place(&cursor, fields.fields[i].key, strlen(fields.fields[i].key));
        e->field_values[i] = secret_string_place(&cursor, fields.fields[i].value, fields.fields[i].value_len);
        if (strcmp(fields.fields[i].key, "password") == 0) {
            e->password = e->field_values[i];
        }
    }
    e->field_count = (uint32_t)count;
    rs_secret_fields_free(&fields);
    return true;
}

/* --- resolving a call to a slot -------------------------------------------------------------------------- */

/* Whether a comma/space-separated list names this exact string. */
static bool list_contains(const char *list, const char *item)
{
    size_t item_len = strlen(item);
    while (list && *list) {
        list += strspn(list, ", \t");
        size_t n = strcspn(list, ", \t");
        if (n == item_len && n > 0 && memcmp(list, item, n) == 0) {
            return true;
        }
        list += n;
    }
    return false;
}

static bool id_is_allowed(const char *id)
{
    return strcmp(id, RDSSECRET_G(secret_id)) == 0 || list_contains(RDSSECRET_G(allowed_secret_ids), id);
}

static bool text_is_clean(const zend_string *s)
{
    for (size_t i = 0; i < ZSTR_LEN(s); i++) {
        unsigned char c = (unsigned char)ZSTR_VAL(s)[i];
        if (c < 0x20 || c == 0x7f) {
            return false;
        }
    }
    return true;
}

typedef rdssecret_target target;

/* The cache key: secret id, stage, and how it is fetched (region, endpoint, credential identity). */
static bool build_key(const char *secret_id, const char *version_stage, char *key, size_t key_len)
{
    int n = snprintf(key, key_len, "%s%c%s%s", secret_id, KEY_SEPARATOR, version_stage, fetcher->key_suffix);
    return n > 0 && (size_t)n < key_len;
}

/* The slot for a key: the host-wide cache when it has room, else this process's own. Stages and ids other than
 * the pool's default may not take the last quarter of the shared slots: those stay for the default secrets of
 * pools that start later. */
static bool find_slot(target *t, const char *key, bool is_default)
{
    rs_error err;
    rs_error_clear(&err);
    size_t keep_free = is_default ? 0 : rs_shmcache_slot_count(rdssecret_shm) / 4;
#ifdef RDSSECRET_DEBUG
    rs_shmcache_debug_kill_mid_claim = (int)RDSSECRET_G(debug_kill_mid_claim);
#endif
    int slot = rs_shmcache_slot_reserving(rdssecret_shm, key, keep_free, &err);
    if (slot >= 0) {
        t->cache = rdssecret_shm;
        t->slot = slot;
        t->local = slot;
        return true;
    }
    if (err.status != RS_ERR_CACHE_FULL) {
        throw_error(t->secret_id, &err);
        return false;
    }
    /* A full table costs sharing, not service: this process caches the secret itself. */
    if (!rdssecret_private && rs_shmcache_create_private(RDSSECRET_PRIVATE_SLOTS, &rdssecret_private, &err) != RS_OK) {
        throw_error(t->secret_id, &err);
        return false;
    }
    rs_error private_err;
    rs_error_clear(&private_err);
    slot = rs_shmcache_slot(rdssecret_private, key, &private_err);
    if (slot < 0) {
        throw_error(t->secret_id, &err);
        return false;
    }
    t->cache = rdssecret_private;
    t->slot = slot;
    t->local = (int)rs_shmcache_slot_count(rdssecret_shm) + slot;
    rdssecret_local_entry *e = &local_entries()[t->local];
    if (!e->overflow_logged) {
        e->overflow_logged = true;
        char line[512];
        snprintf(line, sizeof(line), "rdssecret: secret '%.200s' (%.64s): the shared cache has no free slot (%zu in "
                 "all); this process caches it by itself (raise rdssecret.shm_slots)", t->secret_id, t->version_stage,
                 rs_shmcache_slot_count(rdssecret_shm));
        php_log_err(line);
    }
    return true;
}

/* Which secret a call names, checked against the configuration. false with an exception thrown. */
static bool resolve_target(zend_string *secret_id, uint32_t id_arg, zend_string *version_stage, uint32_t stage_arg,
                           target *t)
{
    if (!RDSSECRET_G(enabled) || !rdssecret_shm) {
        /* The cache is made at startup: enabling rdssecret in a pool when php.ini disabled it has no effect. */
        throw_status(secret_id ? ZSTR_VAL(secret_id) : RDSSECRET_G(secret_id), RS_ERR_DISABLED,
                     "rdssecret is disabled (rdssecret.enabled=0 in php.ini at startup)");
        return false;
    }
    if (secret_id) {
        if (ZSTR_LEN(secret_id) == 0 || ZSTR_LEN(secret_id) > 2048 || !text_is_clean(secret_id)) {
            zend_argument_value_error(id_arg, "must be 1 to 2048 printable characters");
            return false;
        }
    }
    if (version_stage) {
        if (ZSTR_LEN(version_stage) == 0 || ZSTR_LEN(version_stage) > 256 || !text_is_clean(version_stage)) {
            zend_argument_value_error(stage_arg, "must be 1 to 256 printable characters");
            return false;
        }
    }
    t->secret_id = secret_id ? ZSTR_VAL(secret_id) : RDSSECRET_G(secret_id);
    t->version_stage = version_stage ? ZSTR_VAL(version_stage) : RDSSECRET_G(version_stage);
    if (!*t->secret_id) {
        throw_status("", RS_ERR_CONFIG, "no secret id given and rdssecret.secret_id is not set");
        return false;
    }
    if (!*t->version_stage) {
        t->version_stage = "AWSCURRENT";
    }
    bool is_default = (!secret_id || strcmp(t->secret_id, RDSSECRET_G(secret_id)) == 0) &&
                      (!version_stage || strcmp(t->version_stage, RDSSECRET_G(version_stage)) == 0);
    if (is_default && RDSSECRET_G(default_slot) >= 0) {
        *t = RDSSECRET_G(default_target);
        t->secret_id = RDSSECRET_G(secret_id);
        t->version_stage = *RDSSECRET_G(version_stage) ? RDSSECRET_G(version_stage) : "AWSCURRENT";
        return true;
    }
    /* Checked before any slot is looked at: a script names only what its pool was given. */
    if (secret_id && !id_is_allowed(t->secret_id)) {
        throw_status(t->secret_id, RS_ERR_NOT_ALLOWED,
                     "this secret id is not allowed here (see rdssecret.secret_id and rdssecret.allowed_secret_ids)");
        return false;
    }
    if (version_stage && strcmp(t->version_stage, RDSSECRET_G(version_stage)) != 0 &&
        !list_contains(RDSSECRET_G(allowed_version_stages), t->version_stage)) {
        throw_status(t->secret_id, RS_ERR_NOT_ALLOWED,
                     "this version stage is not allowed here (see rdssecret.allowed_version_stages)");
        return false;
    }
    rs_error err;
    rs_error_clear(&err);
    if (fetcher_ready(&err) != RS_OK) {
        throw_error(t->secret_id, &err);
        return false;
    }
    char key[RS_SHMCACHE_KEY_MAX];
    if (!build_key(t->secret_id, t->version_stage, key, sizeof(key))) {
        throw_status(t->secret_id, RS_ERR_CONFIG, "the secret id, stage, region and endpoint are too long together");
        return false;
    }
    if (!find_slot(t, key, is_default)) {
        return false;
    }
    if (is_default) {
        RDSSECRET_G(default_target) = *t;
        RDSSECRET_G(default_slot) = t->slot;
    }
    return true;
}

/* --- warnings: host-wide, at most once a minute per secret and kind; never a value ------------------------ */

#define RDSSECRET_WARN_INTERVAL_MS 60000

static void warn_once(const target *t, rs_shmcache_warn_kind kind, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void warn_once(const target *t, rs_shmcache_warn_kind kind, const char *fmt, ...)
{
    if (!rs_shmcache_warn_due(t->cache, t->slot, kind, RDSSECRET_WARN_INTERVAL_MS)) {
        return;
    }
    char cause[768], line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cause, sizeof(cause), fmt, ap);
    va_end(ap);
    snprintf(line, sizeof(line), "rdssecret: secret '%.200s' (%.64s): %s", t->secret_id, t->version_stage, cause);
    php_log_err(line);
}

/* After a read: say when the value served is stale because refreshing fails, or when there is none. */
static void warn_after_read(const target *t, rs_status st, const rs_error *err, const rs_shmcache_entry *got)
{
    if (st != RS_OK) {
        warn_once(t, RS_SHMCACHE_WARN_FETCH_FAILED, "no value can be served: %s", err->message);
        return;
    }
    if (!got->stale) {
        return;
    }
    rs_shmcache_slot_info info;
    if (rs_shmcache_describe_slot(t->cache, (size_t)t->slot, &info) != 0 || info.consecutive_failures == 0) {
        return;  /* stale only while another process refreshes it: normal */
    }
    warn_once(t, RS_SHMCACHE_WARN_STALE,
              "serving version %s, fetched %llds ago and %llds past its TTL, because refreshing fails (%u failures; "
              "served until rdssecret.max_stale): %s",
              info.version_id, (long long)((rs_clock_unix_ms() - info.fetched_at_unix_ms) / 1000),
              (long long)(-info.expires_in_ms / 1000), info.consecutive_failures, info.last_error_message);
}

/* The current value for a target: this process's copy when current (the hit path: one clock read from the
 * vDSO and one atomic load), else a refresh through the shared cache. NULL with an exception thrown. */
static rdssecret_local_entry *current_entry_from(const target *t, rs_shmcache_fetch_fn fetch, void *fetch_ctx,
                                                 bool pin);

static rdssecret_local_entry *current_entry(const target *t)
{
    fetch_request req = {t->secret_id, t->version_stage};
    return current_entry_from(t, fetch_secret, &req, true);
}

/* The same for any value the cache holds: fetch makes it when the slot needs one. pin: the request keeps the
 * version it read first (secrets: a user and a password read apart belong together); tokens are not pinned, a
 * long request must never be handed one past its renewal. */
static rdssecret_local_entry *current_entry_from(const target *t, rs_shmcache_fetch_fn fetch, void *fetch_ctx,
                                                 bool pin)
{
    rdssecret_local_entry *e = &local_entries()[t->local];
    if (pin && e->generation && e->pinned_request == RDSSECRET_G(request_serial)) {
        return e;
    }
    if (e->generation &&
        rs_shmcache_is_current(t->cache, t->slot, e->generation, e->expires_at_ms, rs_clock_monotonic_ms())) {
        e->pinned_request = e->read_request = RDSSECRET_G(request_serial);
        return e;
    }
    if (!value_buffer && !(value_buffer = rs_secmem_alloc(RS_SHMCACHE_VALUE_MAX + 1))) {
        throw_status(t->secret_id, RS_ERR_INTERNAL, "out of memory for the value buffer");
        return NULL;
    }
    rs_shmcache_policy policy = cache_policy();
    rs_shmcache_entry got;
    memset(&got, 0, sizeof(got));
    got.value = value_buffer;
    bool copied = false;
    rs_error err;
    rs_error_clear(&err);
    rs_status st = rs_shmcache_get(t->cache, t->slot, &policy, fetch, fetch_ctx, e->generation, &got, &copied, &err);
    warn_after_read(t, st, &err, &got);
    if (st != RS_OK) {
        rs_secmem_burn_stack();
        throw_error(t->secret_id, &err);
        return NULL;
    }
    if (copied) {
        bool ok = local_entry_fill(e, &got, t->secret_id);
        OPENSSL_cleanse(value_buffer, got.value_len + 1);
        rs_secmem_burn_stack();  /* the fetch, the copy and the parse ran in frames below this one */
        if (!ok) {
            return NULL;
        }
    }
    e->generation = got.generation;
    e->expires_at_ms = got.expires_at_ms;
    e->stale = got.stale;
    e->pinned_request = e->read_request = RDSSECRET_G(request_serial);
    return e;
}

/* --- functions ---------------------------------------------------------------------------------------- */

/* The current value of a string secret named by a call's ($secret_id, $version_stage) arguments; NULL with an
 * exception thrown (bad argument, not allowed, fetch failed, or a SecretBinary secret: `needs` says why not). */
static rdssecret_local_entry *string_secret_entry(zend_string *secret_id, zend_string *version_stage, target *t,
                                                  const char *needs)
{
    if (!resolve_target(secret_id, 1, version_stage, 2, t)) {
        return NULL;
    }
    rdssecret_local_entry *e = current_entry(t);
    if (e && e->is_binary) {
        char message[160];
        snprintf(message, sizeof(message), "the secret is binary (SecretBinary); %s", needs);
        throw_status(t->secret_id, RS_ERR_UNSUPPORTED, message);
        return NULL;
    }
    return e;
}

PHP_FUNCTION(rds_secret_password)
{
    zend_string *secret_id = NULL;
    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_STR_OR_NULL(secret_id)
    ZEND_PARSE_PARAMETERS_END();

    target t;
    rdssecret_local_entry *e = string_secret_entry(secret_id, NULL, &t, "a password must be a SecretString");
    if (!e) {
        RETURN_THROWS();
    }
    if (!e->password) {
        throw_status(t.secret_id, RS_ERR_MALFORMED, "the secret is a JSON object without a \"password\" field");
        RETURN_THROWS();
    }
    RETURN_INTERNED_STR(e->password);
}

PHP_FUNCTION(rds_secret_get)
{
    zend_string *secret_id = NULL, *version_stage = NULL;
    ZEND_PARSE_PARAMETERS_START(0, 2)
        Z_PARAM_OPTIONAL
        Z_PARAM_STR_OR_NULL(secret_id)
        Z_PARAM_STR_OR_NULL(version_stage)
    ZEND_PARSE_PARAMETERS_END();

    target t;
    rdssecret_local_entry *e = string_secret_entry(secret_id, version_stage, &t, "rds_secret_get() needs a SecretString");
    if (!e) {
        RETURN_THROWS();
    }
    array_init_size(return_value, e->field_count);
    for (uint32_t i = 0; i < e->field_count; i++) {
        zval v;
        ZVAL_INTERNED_STR(&v, e->field_values[i]);
        zend_symtable_update(Z_ARRVAL_P(return_value), e->field_keys[i], &v);
    }
}

/* Replace the copy this request holds with a newer one; the PHP functions' common part. false with an exception. */
/* When Secrets Manager last answered about the AWSPENDING of a secret whose other stage is being refreshed (0:
 * not cached here): after a rotation's finishSecret that answer is "not found", which tells the refresh of
 * AWSCURRENT that the copy a forced refresh fetched moments before may be outdated (see rs_shmcache_policy). */
static int64_t pending_answered_ns(const target *t)
{
    if (strcmp(t->version_stage, "AWSPENDING") == 0) {
        return 0;
    }
    char key[RS_SHMCACHE_KEY_MAX];
    if (!build_key(t->secret_id, "AWSPENDING", key, sizeof(key))) {
        return 0;
    }
    int slot = rs_shmcache_find(t->cache, key);
    return slot >= 0 ? rs_shmcache_answered_ns(t->cache, slot) : 0;
}

static bool refresh_copy(const target *t, bool *refreshed)
{
    rdssecret_local_entry *e = &local_entries()[t->local];
    rs_shmcache_policy policy = cache_policy();
    policy.sibling_answered_ns = pending_answered_ns(t);
    fetch_request req = {t->secret_id, t->version_stage};
    rs_error err;
    rs_error_clear(&err);
    /* The copy this request read is the one to replace; a request that read none asks for the slot's own to be
     * replaced (0), so "refresh now" fetches rather than finding this worker's older copy outdated. */
    uint64_t failed = e->read_request == RDSSECRET_G(request_serial) ? e->generation : 0;
    rs_status st = rs_shmcache_force_refresh(t->cache, t->slot, &policy, fetch_secret, &req, failed, refreshed, &err);
    rs_secmem_burn_stack();
    /* The caller asked to leave the version this request pinned: the next read takes the cache's
     * current state, whatever this refresh achieved. */
    e->pinned_request = 0;
    if (st != RS_OK) {
        warn_once(t, RS_SHMCACHE_WARN_FETCH_FAILED, "a forced refresh failed: %s", err.message);
        throw_error(t->secret_id, &err);
        return false;
    }
    if (!*refreshed) {
        warn_once(t, RS_SHMCACHE_WARN_FORCED_REFUSED,
                  "a forced refresh was refused: another one ran less than rdssecret.refresh_min_interval (%llds) ago "
                  "and the copy it would replace is the one that refresh found",
                  (long long)RDSSECRET_G(refresh_min_interval));
    }
    return true;
}

static void refresh_function(INTERNAL_FUNCTION_PARAMETERS, bool login_failed)
{
    zend_string *secret_id = NULL, *version_stage = NULL;
    ZEND_PARSE_PARAMETERS_START(0, 2)
        Z_PARAM_OPTIONAL
        Z_PARAM_STR_OR_NULL(secret_id)
        Z_PARAM_STR_OR_NULL(version_stage)
    ZEND_PARSE_PARAMETERS_END();

    target t;
    if (!resolve_target(secret_id, 1, version_stage, 2, &t)) {
        RETURN_THROWS();
    }
    if (login_failed) {
        rdssecret_local_entry *e = &local_entries()[t.local];
        rs_shmcache_count_login_failure(t.cache, t.slot);
        warn_once(&t, RS_SHMCACHE_WARN_LOGIN_FAILED, "the database refused the credentials of version %s; replacing "
                  "them", e->generation ? e->version_id : "(none read in this request)");
    }
    bool refreshed = false;
    if (!refresh_copy(&t, &refreshed)) {
        RETURN_THROWS();
    }
    RETURN_BOOL(refreshed);
}

PHP_FUNCTION(rds_secret_refresh)
{
    refresh_function(INTERNAL_FUNCTION_PARAM_PASSTHRU, false);
}

PHP_FUNCTION(rds_secret_login_failed)
{
    refresh_function(INTERNAL_FUNCTION_PARAM_PASSTHRU, true);
}

/* The secret id and stage of a slot key (id, stage, region, endpoint separated by KEY_SEPARATOR). */
static void split_key(const char *key, char *id, size_t id_len, char *stage, size_t stage_len)
{
    const char *sep = strchr(key, KEY_SEPARATOR);
    size_t n = sep ? (size_t)(sep - key) : strlen(key);
    snprintf(id, id_len, "%.*s", (int)n, key);
    const char *rest = sep ? sep + 1 : "";
    const char *end = strchr(rest, KEY_SEPARATOR);
    snprintf(stage, stage_len, "%.*s", (int)(end ? (size_t)(end - rest) : strlen(rest)), rest);
}

/* --- IAM database authentication tokens ------------------------------------------------------------------ */

/* Slot keys of tokens start with this id, which no script can pass (control characters are refused). */
#define IAM_KEY_ID "\x01iam"

typedef struct {
    char host[256];
    int port;
    char user[64];
    char region[64];
} mint_request;

/* Sign an rds-db connect token with this process's credentials: no network but the credential lookup. It is made
 * valid rdssecret.iam_token_lifetime seconds, less when the credentials expire sooner (a token signed with them
 * stops working when they do). */
static rs_status mint_token(void *ctx, rs_secret_value *out, rs_error *err)
{
    const mint_request *m = ctx;
    rs_status st = fetcher_ready(err);
    if (st != RS_OK) {
        return st;
    }
    time_t now = time(NULL);
    rs_credentials c;
    if ((st = rs_creds_provider_get(&fetcher->creds, now, &c, err)) != RS_OK) {
        return st;
    }
    long lifetime = (long)RDSSECRET_G(iam_token_lifetime);
    if (c.expiration != 0 && (long)(c.expiration - now) < lifetime) {
        lifetime = (long)(c.expiration - now);
    }
    if (lifetime < 3) {
        rs_credentials_wipe(&c);
        return rs_error_set(err, RS_ERR_AUTH, "the AWS credentials (%s) expire in %lds: too soon to sign a token",
                            c.source, lifetime);
    }
    rs_sigv4_credentials signing = {c.access_key_id, c.secret_access_key, c.session_token};
    char *token = NULL;
    st = rs_sigv4_rds_auth_token_expiring(m->host, m->port, m->user, &signing, m->region,
                                          now + fetcher->client.clock_offset, lifetime, &token, err);
    rs_credentials_wipe(&c);
    if (st != RS_OK) {
        return st;
    }
    out->secret_string = token;
    out->secret_string_len = strlen(token);
    out->version_id = strdup("iam-token");
    out->created_date = (double)now;
    out->lifetime_ms = (int64_t)lifetime * 1000;
    snprintf(out->source, sizeof(out->source), "%s", c.source[0] ? c.source : fetcher->creds.cached.source);
    return out->version_id ? RS_OK : rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
}

static void throw_iam(const char *who, rs_status status, const char *message)
{
    zend_throw_exception_ex(rdssecret_ce_exception, (zend_long)status, "rdssecret: IAM token for '%s': %s", who,
                            message);
}

static bool host_is_clean(const zend_string *host)
{
    for (size_t i = 0; i < ZSTR_LEN(host); i++) {
        char c = ZSTR_VAL(host)[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_' || c == ':' || c == '[' || c == ']')) {
            return false;
        }
    }
    return true;
}

/* Which token a call names, checked against rdssecret.iam_allowed; its slot found. false with an exception. */
static bool resolve_iam(zend_string *host, zend_long port, zend_string *user, zend_string *region, char *who,
                        size_t who_len, mint_request *m, target *t)
{
    if (ZSTR_LEN(host) == 0 || ZSTR_LEN(host) > 253 || !host_is_clean(host)) {
        zend_argument_value_error(1, "must be a host name or address");
        return false;
    }
    if (port < 1 || port > 65535) {
        zend_argument_value_error(2, "must be between 1 and 65535");
        return false;
    }
    if (ZSTR_LEN(user) == 0 || ZSTR_LEN(user) > 32 || !text_is_clean(user)) {
        zend_argument_value_error(3, "must be 1 to 32 printable characters");
        return false;
    }
    if (region && !rs_region_is_valid(ZSTR_VAL(region), ZSTR_LEN(region))) {
        zend_argument_value_error(4, "must be an AWS region name");
        return false;
    }
    snprintf(who, who_len, "%s@%s:%ld", ZSTR_VAL(user), ZSTR_VAL(host), (long)port);
    if (!RDSSECRET_G(enabled) || !rdssecret_shm) {
        throw_iam(who, RS_ERR_DISABLED, "rdssecret is disabled (rdssecret.enabled=0 in php.ini at startup)");
        return false;
    }
    /* Checked before anything is looked at: a script mints tokens only for the accounts its pool was given. */
    if (!list_contains(RDSSECRET_G(iam_allowed), who)) {
        throw_iam(who, RS_ERR_NOT_ALLOWED, "this database account is not allowed here (see rdssecret.iam_allowed)");
        return false;
    }
    rs_error err;
    rs_error_clear(&err);
    if (fetcher_ready(&err) != RS_OK) {
        throw_iam(who, err.status, err.message);
        return false;
    }
    memset(m, 0, sizeof(*m));
    snprintf(m->host, sizeof(m->host), "%s", ZSTR_VAL(host));
    snprintf(m->user, sizeof(m->user), "%s", ZSTR_VAL(user));
    snprintf(m->region, sizeof(m->region), "%s", region ? ZSTR_VAL(region) : fetcher->region);
    m->port = (int)port;
    char stage[400], key[RS_SHMCACHE_KEY_MAX];
    snprintf(stage, sizeof(stage), "%s/%s", who, m->region);
    *t = (target){.secret_id = who, .version_stage = "IAM token"};
    if (!build_key(IAM_KEY_ID, stage, key, sizeof(key)) || !find_slot(t, key, true)) {
        if (!EG(exception)) {
            throw_iam(who, RS_ERR_CONFIG, "the host, user, region and endpoint are too long together");
        }
        return false;
    }
    return true;
}

#define IAM_PARAMETERS()                                                                                  \
    zend_string *host, *user, *region = NULL;                                                             \
    zend_long port;                                                                                       \
    ZEND_PARSE_PARAMETERS_START(3, 4)                                                                     \
        Z_PARAM_STR(host)                                                                                 \
        Z_PARAM_LONG(port)                                                                                \
        Z_PARAM_STR(user)                                                                                 \
        Z_PARAM_OPTIONAL                                                                                  \
        Z_PARAM_STR_OR_NULL(region)                                                                       \
    ZEND_PARSE_PARAMETERS_END()

PHP_FUNCTION(rds_iam_token)
{
    IAM_PARAMETERS();
    char who[320];
    mint_request m;
    target t;
    if (!resolve_iam(host, port, user, region, who, sizeof(who), &m, &t)) {
        RETURN_THROWS();
    }
    rdssecret_local_entry *e = current_entry_from(&t, mint_token, &m, false);
    OPENSSL_cleanse(&m, sizeof(m));
    if (!e) {
        RETURN_THROWS();
    }
    if (!e->password) {
        throw_iam(who, RS_ERR_INTERNAL, "the cached token is empty");
        RETURN_THROWS();
    }
    RETURN_INTERNED_STR(e->password);
}

/* The database refused the token: sign a new one (with credentials fetched anew: the old ones may have been
 * revoked), rate-limited across the host as rds_secret_refresh() is. */
PHP_FUNCTION(rds_iam_token_refresh)
{
    IAM_PARAMETERS();
    char who[320];
    mint_request m;
    target t;
    if (!resolve_iam(host, port, user, region, who, sizeof(who), &m, &t)) {
        RETURN_THROWS();
    }
    rdssecret_local_entry *e = &local_entries()[t.local];
    rs_shmcache_count_login_failure(t.cache, t.slot);
    warn_once(&t, RS_SHMCACHE_WARN_LOGIN_FAILED, "the database refused the token; signing a new one");
    rs_creds_provider_invalidate(&fetcher->creds);
    rs_shmcache_policy policy = cache_policy();
    bool refreshed = false;
    rs_error err;
    rs_error_clear(&err);
    rs_status st = rs_shmcache_force_refresh(t.cache, t.slot, &policy, mint_token, &m, e->generation, &refreshed, &err);
    OPENSSL_cleanse(&m, sizeof(m));
    rs_secmem_burn_stack();
    if (st != RS_OK) {
        throw_iam(who, st, err.message);
        RETURN_THROWS();
    }
    RETURN_BOOL(refreshed);
}

/* rds_secret_info()'s "iam_tokens": this pool's tokens (account, region, timing, mintings), never a token. */
static void add_iam_info(zval *tokens, rs_shmcache *cache, size_t i)
{
    rs_shmcache_slot_info info;
    if (rs_shmcache_describe_slot(cache, i, &info) != 0 || !info.in_use || !key_is_ours(info.key)) {
        return;
    }
    char id[RS_SHMCACHE_KEY_MAX], stage[RS_SHMCACHE_KEY_MAX];
    split_key(info.key, id, sizeof(id), stage, sizeof(stage));
    char *slash = strrchr(stage, '/');
    if (strcmp(id, IAM_KEY_ID) != 0 || !slash) {
        return;
    }
    *slash = '\0';
    zval t;
    array_init(&t);
    add_assoc_string(&t, "account", stage);
    add_assoc_string(&t, "region", slash + 1);
    add_assoc_bool(&t, "shared", cache == rdssecret_shm);
    if (info.generation) {
        add_assoc_double(&t, "renewed_in", (double)info.expires_in_ms / 1000.0);
        add_assoc_double(&t, "expires_in", (double)info.lifetime_left_ms / 1000.0);
    } else {
        add_assoc_null(&t, "renewed_in");
        add_assoc_null(&t, "expires_in");
    }
    add_assoc_long(&t, "mintings", (zend_long)info.fetches);
    add_assoc_long(&t, "errors", (zend_long)info.errors);
    if (info.last_error_status) {
        add_assoc_string(&t, "last_error", rs_status_name((rs_status)info.last_error_status));
        add_assoc_string(&t, "last_error_message", info.last_error_message);
    } else {
        add_assoc_null(&t, "last_error");
    }
    add_next_index_zval(tokens, &t);
}

static void add_stages(zval *arr, const char *stages)
{
    array_init(arr);
    while (*stages) {
        size_t n = strcspn(stages, ",");
        add_next_index_stringl(arr, stages, n);
        stages += n;
        if (*stages == ',') {
            stages++;
        }
    }
}

static const char *credential_source(void)
{
    if (fetcher && fetcher->ready && fetcher->creds.cached.source[0]) {
        return fetcher->creds.cached.source;
    }
    /* This worker fetched nothing itself: the credentials that fetched its default secret, in whichever worker. */
    static rs_shmcache_slot_info info;
    if (RDSSECRET_G(default_slot) >= 0 && rdssecret_shm &&
        rs_shmcache_describe_slot(RDSSECRET_G(default_target).cache, (size_t)RDSSECRET_G(default_target).slot,
                                  &info) == 0 && info.credential_source[0]) {
        return info.credential_source;
    }
    return NULL;
}

/* The endpoint in effect, or what it will be; never does network I/O (MINFO must not block). */
static void effective_region_endpoint(char *region, size_t region_len, char *endpoint, size_t endpoint_len)
{
    bool ready = fetcher && fetcher->ready;
    const char *r = ready ? fetcher->region : ini_or_null(RDSSECRET_G(region));
    if (!r) {
        r = rs_env_get("AWS_REGION");
    }
    if (!r) {
        r = rs_env_get("AWS_DEFAULT_REGION");
    }
    snprintf(region, region_len, "%s", r ? r : "");
    if (ready) {
        snprintf(endpoint, endpoint_len, "%s", fetcher->client.endpoint);
        return;
    }
    rs_error err;
    if (rs_sm_resolve_endpoint(ini_or_null(RDSSECRET_G(endpoint)), r, endpoint, endpoint_len, &err) != RS_OK) {
        snprintf(endpoint, endpoint_len, "%s", "");
    }
}

/* One cached secret's row for rds_secret_info(); nothing when the slot is free or holds another pool's secret. */
static void add_slot_info(zval *secrets, rs_shmcache *cache, size_t i, bool shared)
{
    int64_t now_unix = rs_clock_unix_ms();
    rs_shmcache_slot_info info;
    if (rs_shmcache_describe_slot(cache, i, &info) != 0 || !info.in_use) {
        return;
    }
    char id[RS_SHMCACHE_KEY_MAX], stage[RS_SHMCACHE_KEY_MAX];
    split_key(info.key, id, sizeof(id), stage, sizeof(stage));
    if (!id_is_allowed(id) || !key_is_ours(info.key)) {
        return;  /* another pool's secret (or the same name fetched as someone else): not this pool's business */
    }
    zval s, stages;
    array_init(&s);
    add_assoc_long(&s, "slot", (zend_long)i);
    add_assoc_bool(&s, "shared", shared);
    add_assoc_string(&s, "secret_id", id);
    add_assoc_string(&s, "version_stage", stage);
    if (info.generation) {
        add_assoc_string(&s, "version_id", info.version_id);
        add_stages(&stages, info.stages);
        add_assoc_zval(&s, "stages", &stages);
        add_assoc_double(&s, "fetched_at", (double)info.fetched_at_unix_ms / 1000.0);
        add_assoc_double(&s, "age", (double)(now_unix - info.fetched_at_unix_ms) / 1000.0);
        add_assoc_double(&s, "expires_in", (double)info.expires_in_ms / 1000.0);
        add_assoc_string(&s, "credential_source", info.credential_source);
    } else {
        add_assoc_null(&s, "version_id");
        add_assoc_null(&s, "fetched_at");
    }
    add_assoc_long(&s, "generation", (zend_long)info.generation);
    add_assoc_long(&s, "fetches", (zend_long)info.fetches);
    add_assoc_long(&s, "errors", (zend_long)info.errors);
    add_assoc_long(&s, "consecutive_failures", (zend_long)info.consecutive_failures);
    add_assoc_long(&s, "stale_served", (zend_long)info.stale_served);
    add_assoc_long(&s, "waits", (zend_long)info.waits);
    add_assoc_long(&s, "forced_refreshes", (zend_long)info.forced_refreshes);
    add_assoc_long(&s, "forced_refused", (zend_long)info.forced_refused);
    add_assoc_long(&s, "login_failures", (zend_long)info.login_failures);
    add_assoc_double(&s, "next_attempt_in", (double)info.next_attempt_in_ms / 1000.0);
    if (info.last_error_status) {
        add_assoc_long(&s, "last_error_code", info.last_error_status);
        add_assoc_string(&s, "last_error", rs_status_name((rs_status)info.last_error_status));
        add_assoc_string(&s, "last_error_aws_code", info.last_error_code);
        add_assoc_string(&s, "last_error_message", info.last_error_message);
    } else {
        add_assoc_null(&s, "last_error_code");
        add_assoc_null(&s, "last_error_message");
    }
    if (info.lease_pid) {
        add_assoc_long(&s, "lease_pid", info.lease_pid);
    } else {
        add_assoc_null(&s, "lease_pid");
    }
    add_next_index_zval(secrets, &s);
}

PHP_FUNCTION(rds_secret_info)
{
    ZEND_PARSE_PARAMETERS_NONE();

    char region[64], endpoint[512];
    effective_region_endpoint(region, sizeof(region), endpoint, sizeof(endpoint));
    array_init(return_value);
    add_assoc_bool(return_value, "enabled", RDSSECRET_G(enabled));
    add_assoc_string(return_value, "version", PHP_RDSSECRET_VERSION);
    add_assoc_string(return_value, "secret_id", RDSSECRET_G(secret_id));
    if (region[0]) {
        add_assoc_string(return_value, "region", region);
    } else {
        add_assoc_null(return_value, "region");
    }
    if (endpoint[0]) {
        add_assoc_string(return_value, "endpoint", endpoint);
    } else {
        add_assoc_null(return_value, "endpoint");
    }
    const char *source = credential_source();
    if (source) {
        add_assoc_string(return_value, "credential_source", source);
    } else {
        add_assoc_null(return_value, "credential_source");
    }
    add_assoc_long(return_value, "pid", (zend_long)getpid());
    add_assoc_bool(return_value, "libcurl_memory_wiped", rs_http_libcurl_memory_wiped());
    if (!rdssecret_shm) {
        return;
    }
    zval shm;
    array_init(&shm);
    add_assoc_long(&shm, "size", (zend_long)rs_shmcache_size_bytes(rdssecret_shm));
    add_assoc_long(&shm, "slots", (zend_long)rs_shmcache_slot_count(rdssecret_shm));
    add_assoc_long(&shm, "slots_used", (zend_long)rs_shmcache_slots_used(rdssecret_shm));
    add_assoc_bool(&shm, "locked", rs_shmcache_is_locked(rdssecret_shm));
#ifdef RDSSECRET_DEBUG
    /* Test builds: every slot in use, whoever's, as [index, id, stage, ours] (no values), for slot accounting. */
    zval all;
    array_init(&all);
    for (size_t i = 0; i < rs_shmcache_slot_count(rdssecret_shm); i++) {
        rs_shmcache_slot_info info;
        if (rs_shmcache_describe_slot(rdssecret_shm, i, &info) != 0 || !info.in_use) {
            continue;
        }
        char id[RS_SHMCACHE_KEY_MAX], stage[RS_SHMCACHE_KEY_MAX];
        split_key(info.key, id, sizeof(id), stage, sizeof(stage));
        zval row;
        array_init(&row);
        add_next_index_long(&row, (zend_long)i);
        add_next_index_string(&row, id);
        add_next_index_string(&row, stage);
        add_next_index_bool(&row, info.key[0] && key_is_ours(info.key));
        add_next_index_long(&row, info.lease_pid);
        add_next_index_zval(&all, &row);
    }
    add_assoc_zval(&shm, "debug_slots", &all);
#endif
    add_assoc_zval(return_value, "shm", &shm);

    zval secrets;
    array_init(&secrets);
    for (size_t i = 0; i < rs_shmcache_slot_count(rdssecret_shm); i++) {
        add_slot_info(&secrets, rdssecret_shm, i, true);
    }
    for (size_t i = 0; rdssecret_private && i < rs_shmcache_slot_count(rdssecret_private); i++) {
        add_slot_info(&secrets, rdssecret_private, i, false);
    }
    add_assoc_zval(return_value, "secrets", &secrets);
    zval tokens;
    array_init(&tokens);
    for (size_t i = 0; i < rs_shmcache_slot_count(rdssecret_shm); i++) {
        add_iam_info(&tokens, rdssecret_shm, i);
    }
    for (size_t i = 0; rdssecret_private && i < rs_shmcache_slot_count(rdssecret_private); i++) {
        add_iam_info(&tokens, rdssecret_private, i);
    }
    add_assoc_zval(return_value, "iam_tokens", &tokens);
}

/* --- metrics (OpenMetrics text) ----------------------------------------------------------------------------- */

/* A label value: backslash, quote and line feed escaped (ids are printable already). */
static void metrics_label(smart_str *out, const char *value)
{
    for (const char *p = value; *p; p++) {
        if (*p == '\\' || *p == '"') {
            smart_str_appendc(out, '\\');
            smart_str_appendc(out, *p);
        } else if (*p == '\n') {
            smart_str_appends(out, "\\n");
        } else {
            smart_str_appendc(out, *p);
        }
    }
}

typedef struct {
    const char *name, *type, *help;
} metric_family;

static const metric_family metric_families[] = {
    {"rdssecret_fetches", "counter", "Values fetched from Secrets Manager into the cache (host-wide for the shared cache)."},
    {"rdssecret_fetch_errors", "counter", "Fetches that failed."},
    {"rdssecret_stale_served", "counter", "Reads answered with a value past its TTL while refreshing failed or ran."},
    {"rdssecret_waits", "counter", "Reads that waited for another process's fetch (cold cache)."},
    {"rdssecret_forced_refreshes", "counter", "Forced refreshes that fetched."},
    {"rdssecret_forced_refused", "counter", "Forced refreshes answered without a fetch (rate limit, or a newer copy was there)."},
    {"rdssecret_login_failures", "counter", "Database logins refused with a cached value (rds_secret_login_failed)."},
    {"rdssecret_consecutive_failures", "gauge", "Fetches failed in a row."},
    {"rdssecret_value_age_seconds", "gauge", "Age of the cached value."},
    {"rdssecret_expires_in_seconds", "gauge", "Time until the cached value is refreshed (negative: past its TTL)."},
    {"rdssecret_cached", "gauge", "1 when a value is cached."},
};

static double metric_value(size_t family, const rs_shmcache_slot_info *info, int64_t now_unix)
{
    switch (family) {
    case 0: return (double)info->fetches;
    case 1: return (double)info->errors;
    case 2: return (double)info->stale_served;
    case 3: return (double)info->waits;
    case 4: return (double)info->forced_refreshes;
    case 5: return (double)info->forced_refused;
    case 6: return (double)info->login_failures;
    case 7: return (double)info->consecutive_failures;
    case 8: return info->generation ? (double)(now_unix - info->fetched_at_unix_ms) / 1000.0 : 0;
    case 9: return info->generation ? (double)info->expires_in_ms / 1000.0 : 0;
    default: return info->generation ? 1 : 0;
    }
}

/* Whether a slot holds one of this pool's secrets (the same rule as rds_secret_info()). */
static bool slot_is_ours(const rs_shmcache_slot_info *info, char *id, size_t id_len, char *stage, size_t stage_len)
{
    if (!info->in_use || !info->key[0]) {
        return false;
    }
    split_key(info->key, id, id_len, stage, stage_len);
    return id_is_allowed(id) && key_is_ours(info->key);
}

PHP_FUNCTION(rds_secret_metrics)
{
    zend_string *format = NULL;
    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_STR(format)
    ZEND_PARSE_PARAMETERS_END();
    /* OpenMetrics names a counter family without "_total"; Prometheus' text format (node_exporter's textfile
     * collector) names it as its samples, and has no "# EOF". */
    bool prometheus = false;
    if (format && strcmp(ZSTR_VAL(format), "prometheus") == 0) {
        prometheus = true;
    } else if (format && strcmp(ZSTR_VAL(format), "openmetrics") != 0) {
        zend_argument_value_error(1, "must be \"openmetrics\" or \"prometheus\"");
        RETURN_THROWS();
    }

    smart_str out = {0};
    int64_t now_unix = rs_clock_unix_ms();
    rs_shmcache *caches[2] = {rdssecret_shm, rdssecret_private};
    for (size_t f = 0; f < sizeof(metric_families) / sizeof(metric_families[0]); f++) {
        const char *suffix = prometheus && strcmp(metric_families[f].type, "counter") == 0 ? "_total" : "";
        smart_str_append_printf(&out, "# HELP %s%s %s\n# TYPE %s%s %s\n", metric_families[f].name, suffix,
                                metric_families[f].help, metric_families[f].name, suffix, metric_families[f].type);
        for (int k = 0; k < 2; k++) {
            for (size_t i = 0; caches[k] && i < rs_shmcache_slot_count(caches[k]); i++) {
                rs_shmcache_slot_info info;
                char id[RS_SHMCACHE_KEY_MAX], stage[RS_SHMCACHE_KEY_MAX];
                if (rs_shmcache_describe_slot(caches[k], i, &info) != 0 || !slot_is_ours(&info, id, sizeof(id), stage,
                                                                                        sizeof(stage))) {
                    continue;
                }
                smart_str_appends(&out, metric_families[f].name);
                smart_str_appends(&out, strcmp(metric_families[f].type, "counter") == 0 ? "_total{secret=\"" : "{secret=\"");
                metrics_label(&out, id);
                smart_str_appends(&out, "\",stage=\"");
                metrics_label(&out, stage);
                smart_str_append_printf(&out, "\",cache=\"%s\"} %.3f\n", k == 0 ? "shared" : "process",
                                        metric_value(f, &info, now_unix));
            }
        }
    }
    if (!prometheus) {
        smart_str_appends(&out, "# EOF\n");
    }
    smart_str_0(&out);
    RETURN_STR(out.s);
}

/* --- module lifecycle ------------------------------------------------------------------------------------ */

static PHP_GINIT_FUNCTION(rdssecret)
{
#if defined(ZTS) && defined(COMPILE_DL_RDSSECRET)
    ZEND_TSRMLS_CACHE_UPDATE();
#endif
    memset(rdssecret_globals, 0, sizeof(*rdssecret_globals));
    rdssecret_globals->default_slot = -1;
}

static void on_fork_child(void)
{
    rdssecret_forked = true;
}

static PHP_MINIT_FUNCTION(rdssecret)
{
    (void)type;
    rdssecret_module_number = module_number;
    REGISTER_INI_ENTRIES();
    /* Before any script: from here on the extension never reads the live environment (a script's putenv()
     * must not redirect it). Forked workers take it again at their first request. */
    rs_env_capture();
    static bool atfork_registered;
    if (!atfork_registered) {
        atfork_registered = pthread_atfork(NULL, NULL, on_fork_child) == 0;
    }

    rdssecret_ce_exception = register_class_RdsSecret_Exception(spl_ce_RuntimeException);

    /* Disabled: loaded but inert, so php.ini can turn it off without removing the extension line. */
    if (!RDSSECRET_G(enabled)) {
        return SUCCESS;
    }

    /* libcurl's global init is not thread-safe: MINIT runs once, before any worker or thread. */
    rs_error err;
    rs_error_clear(&err);
    if (rs_http_global_init(&err) != RS_OK) {
        zend_error(E_CORE_WARNING, "rdssecret: cannot initialize HTTP: %s", err.message);
        return FAILURE;
    }
    rdssecret_http_ready = true;
    if (rs_shmcache_create((size_t)RDSSECRET_G(shm_slots), &rdssecret_shm, &err) != RS_OK) {
        zend_error(E_CORE_WARNING, "rdssecret: cannot create the shared cache: %s", err.message);
        return FAILURE;
    }
    return SUCCESS;
}

static PHP_MSHUTDOWN_FUNCTION(rdssecret)
{
    (void)type;
    fetcher_reset();
    if (RDSSECRET_G(local) && rdssecret_shm) {
        for (size_t i = 0; i < rs_shmcache_slot_count(rdssecret_shm) + RDSSECRET_PRIVATE_SLOTS; i++) {
            local_entry_clear(&RDSSECRET_G(local)[i], false);
        }
        pefree(RDSSECRET_G(local), 1);
        RDSSECRET_G(local) = NULL;
    }
    free_retired_blocks();
    if (RDSSECRET_G(retired)) {
        pefree(RDSSECRET_G(retired), 1);
        RDSSECRET_G(retired) = NULL;
        RDSSECRET_G(retired_capacity) = 0;
    }
    rs_secmem_free(value_buffer);
    value_buffer = NULL;
    if (rdssecret_private) {
        rs_shmcache_destroy(rdssecret_private);
        rdssecret_private = NULL;
    }
    /* Only detach: other processes may still use the mapping. Values are wiped as they are replaced. */
    if (rdssecret_shm) {
        rs_shmcache_detach(rdssecret_shm);
        rdssecret_shm = NULL;
    }
    if (rdssecret_http_ready) {
        rs_http_global_cleanup();
        rdssecret_http_ready = false;
    }
    UNREGISTER_INI_ENTRIES();
    return SUCCESS;
}

static PHP_RINIT_FUNCTION(rdssecret)
{
    (void)type;
    (void)module_number;
#if defined(ZTS) && defined(COMPILE_DL_RDSSECRET)
    ZEND_TSRMLS_CACHE_UPDATE();
#endif
    RDSSECRET_G(request_serial)++;
    if (rdssecret_forked) {
        /* A new worker (FPM, Apache prefork) before its first script: its environment may be its pool's
         * (env[...]), not the master's. Nothing was fetched in this process yet. */
        rdssecret_forked = false;
        rs_env_capture_after_fork();
        fetcher_reset();
        rdssecret_pool_digest[0] = '\0';  /* the pool's settings and environment are in place now */
    }
    if (RDSSECRET_G(retired_count)) {
        free_retired_blocks();
    }
    return SUCCESS;
}

static PHP_MINFO_FUNCTION(rdssecret)
{
    (void)zend_module;
    char region[64], endpoint[512], buf[1024];
    effective_region_endpoint(region, sizeof(region), endpoint, sizeof(endpoint));

    php_info_print_table_start();
    php_info_print_table_row(2, "rdssecret support", RDSSECRET_G(enabled) ? "enabled" : "disabled");
    php_info_print_table_row(2, "Version", PHP_RDSSECRET_VERSION);
    php_info_print_table_row(2, "libcurl", rs_http_library_version());
    php_info_print_table_row(2, "OpenSSL", OpenSSL_version(OPENSSL_VERSION));
    php_info_print_table_row(2, "cJSON", cJSON_Version());
    php_info_print_table_row(2, "Core dumps", rs_http_libcurl_memory_wiped()
        ? "secret copies excluded, libcurl's buffers wiped"
        : "secret copies excluded; libcurl's buffers not wiped (another extension initialised libcurl first: load "
          "rdssecret before curl)");
    php_info_print_table_row(2, "Region", region[0] ? region : "(from instance metadata at the first fetch)");
    php_info_print_table_row(2, "Endpoint", endpoint[0] ? endpoint : "(follows the region)");
    const char *source = credential_source();
    php_info_print_table_row(2, "Credentials", source ? source : "(resolved at the first fetch)");
    if (rdssecret_shm) {
        snprintf(buf, sizeof(buf), "%zu bytes, %zu of %zu slots used, %s",
                 rs_shmcache_size_bytes(rdssecret_shm), rs_shmcache_slots_used(rdssecret_shm),
                 rs_shmcache_slot_count(rdssecret_shm),
                 rs_shmcache_is_locked(rdssecret_shm) ? "locked in memory" : "not locked in memory (mlock refused)");
        php_info_print_table_row(2, "Shared cache", buf);
        int64_t now_unix = rs_clock_unix_ms();
        for (size_t i = 0; i < rs_shmcache_slot_count(rdssecret_shm); i++) {
            rs_shmcache_slot_info info;
            if (rs_shmcache_describe_slot(rdssecret_shm, i, &info) != 0 || !info.in_use) {
                continue;
            }
            char id[RS_SHMCACHE_KEY_MAX], stage[RS_SHMCACHE_KEY_MAX], name[RS_SHMCACHE_KEY_MAX * 2 + 16];
            split_key(info.key, id, sizeof(id), stage, sizeof(stage));
            if (!id_is_allowed(id)) {
                continue;
            }
            snprintf(name, sizeof(name), "Secret %s (%s)", id, stage);
            if (info.generation) {
                snprintf(buf, sizeof(buf),
                         "version %s, fetched %llds ago, %s %llds, fetches %llu, errors %llu, stale served %llu%s%s%s",
                         info.version_id, (long long)((now_unix - info.fetched_at_unix_ms) / 1000),
                         info.expires_in_ms >= 0 ? "expires in" : "expired",
                         (long long)((info.expires_in_ms >= 0 ? info.expires_in_ms : -info.expires_in_ms) / 1000),
                         (unsigned long long)info.fetches, (unsigned long long)info.errors,
                         (unsigned long long)info.stale_served, info.last_error_status ? ", last error: " : "",
                         info.last_error_status ? rs_status_name((rs_status)info.last_error_status) : "",
                         info.lease_pid ? ", fetching now" : "");
            } else {
                snprintf(buf, sizeof(buf), "no value yet, errors %llu%s%.300s",
                         (unsigned long long)info.errors, info.last_error_status ? ", last error: " : "",
                         info.last_error_status ? info.last_error_message : "");
            }
            php_info_print_table_row(2, name, buf);
        }
    }
    php_info_print_table_end();

    DISPLAY_INI_ENTRIES();
}

static const zend_module_dep rdssecret_deps[] = {
    ZEND_MOD_REQUIRED("spl")
    ZEND_MOD_END
};

zend_module_entry rdssecret_module_entry = {
    STANDARD_MODULE_HEADER_EX,
    NULL,
    rdssecret_deps,
    "rdssecret",
    ext_functions,
    PHP_MINIT(rdssecret),
    PHP_MSHUTDOWN(rdssecret),
    PHP_RINIT(rdssecret),
    NULL, /* RSHUTDOWN */
    PHP_MINFO(rdssecret),
    PHP_RDSSECRET_VERSION,
    PHP_MODULE_GLOBALS(rdssecret),
    PHP_GINIT(rdssecret),
    NULL, /* GSHUTDOWN */
    NULL, /* post-deactivate */
    STANDARD_MODULE_PROPERTIES_EX
};

#ifdef COMPILE_DL_RDSSECRET
#ifdef ZTS
ZEND_TSRMLS_CACHE_DEFINE()
#endif
ZEND_GET_MODULE(rdssecret)
#endif
