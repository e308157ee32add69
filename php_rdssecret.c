/* rdssecret: the PHP-facing layer (INI, module lifecycle, functions, MINFO). Kept thin: the work is done
 * by the C core in src/ (no Zend headers there), which the rotation function shares. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "php_ini.h"
#include "ext/standard/info.h"
#include "zend_exceptions.h"
#include "ext/spl/spl_exceptions.h"

#include <cJSON.h>
#include <openssl/crypto.h>

#include "php_rdssecret.h"
#include "rdssecret_arginfo.h"
#include "src/creds.h"
#include "src/error.h"
#include "src/http.h"
#include "src/secret.h"
#include "src/shmcache.h"
#include "src/sm.h"

ZEND_DECLARE_MODULE_GLOBALS(rdssecret)

static zend_class_entry *rdssecret_ce_exception;

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
    bool stale;
    bool is_binary;
    zend_string *password;          /* persistent, refcounted; NULL when the secret has no password field */
    uint32_t field_count;
    zend_string **field_keys;       /* persistent */
    zend_string **field_values;     /* persistent */
    char version_id[RS_SHMCACHE_VERSION_ID_MAX];
    char stages[RS_SHMCACHE_STAGES_MAX];
    int64_t fetched_at_unix_ms;
} rdssecret_local_entry;

/* The per-process Secrets Manager client, made at the first fetch (region lookup may need IMDS). */
typedef struct {
    bool ready;
    rs_creds_config creds_config;
    rs_creds_provider creds;
    rs_sm_client client;
    char region[64];
} rdssecret_fetcher;

static rdssecret_fetcher fetcher;   /* per process; workers fork before any fetch */
static char *value_buffer;          /* per process, RS_SHMCACHE_VALUE_MAX + 1 bytes, wiped after each use */

/* --- INI ------------------------------------------------------------------------------------------- */

/* Bounds keep every derived millisecond value far from overflow (and the lease token within its bits). */
#define RDSSECRET_MAX_SECONDS (10L * 365 * 86400)
#define BOUNDED_LONG_HANDLER(name, min, max)                                                              \
    static ZEND_INI_MH(name)                                                                              \
    {                                                                                                     \
        zend_long value = ZEND_ATOL(ZSTR_VAL(new_value));                                                 \
        if (value < (min) || value > (max)) {                                                             \
            return FAILURE;                                                                               \
        }                                                                                                 \
        return OnUpdateLong(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);                          \
    }
BOUNDED_LONG_HANDLER(OnUpdatePositiveSeconds, 1, RDSSECRET_MAX_SECONDS)
BOUNDED_LONG_HANDLER(OnUpdateSeconds, 0, RDSSECRET_MAX_SECONDS)
BOUNDED_LONG_HANDLER(OnUpdateMilliseconds, 1, 600000)
BOUNDED_LONG_HANDLER(OnUpdateSlots, 1, 4096)

/* Every setting is PHP_INI_SYSTEM: php.ini, or php_admin_value in an FPM pool. A script (ini_set,
 * .user.ini, php_value) can neither point the extension at another endpoint nor widen its secrets. */
PHP_INI_BEGIN()
    STD_PHP_INI_BOOLEAN("rdssecret.enabled", "1", PHP_INI_SYSTEM, OnUpdateBool,
        enabled, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.secret_id", "", PHP_INI_SYSTEM, OnUpdateString,
        secret_id, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.allowed_secret_ids", "", PHP_INI_SYSTEM, OnUpdateString,
        allowed_secret_ids, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.region", "", PHP_INI_SYSTEM, OnUpdateString,
        region, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.endpoint", "", PHP_INI_SYSTEM, OnUpdateString,
        endpoint, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.version_stage", "AWSCURRENT", PHP_INI_SYSTEM, OnUpdateString,
        version_stage, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.allowed_version_stages", "AWSCURRENT,AWSPENDING,AWSPREVIOUS", PHP_INI_SYSTEM,
        OnUpdateString, allowed_version_stages, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.ttl", "300", PHP_INI_SYSTEM, OnUpdatePositiveSeconds,
        ttl, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.max_stale", "86400", PHP_INI_SYSTEM, OnUpdateSeconds,
        max_stale, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.refresh_min_interval", "5", PHP_INI_SYSTEM, OnUpdateSeconds,
        refresh_min_interval, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.connect_timeout_ms", "1000", PHP_INI_SYSTEM, OnUpdateMilliseconds,
        connect_timeout_ms, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.timeout_ms", "3000", PHP_INI_SYSTEM, OnUpdateMilliseconds,
        timeout_ms, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.ca_file", "", PHP_INI_SYSTEM, OnUpdateString,
        ca_file, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.imds_endpoint", "", PHP_INI_SYSTEM, OnUpdateString,
        imds_endpoint, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_BOOLEAN("rdssecret.imds_v1_fallback", "0", PHP_INI_SYSTEM, OnUpdateBool,
        imds_v1_fallback, zend_rdssecret_globals, rdssecret_globals)
    STD_PHP_INI_ENTRY("rdssecret.shm_slots", "16", PHP_INI_SYSTEM, OnUpdateSlots,
        shm_slots, zend_rdssecret_globals, rdssecret_globals)
#ifdef RDSSECRET_DEBUG
    /* Test builds only: the n-th value write from now kills its process half way. */
    STD_PHP_INI_ENTRY("rdssecret.debug_kill_mid_write", "0", PHP_INI_ALL, OnUpdateLongGEZero,
        debug_kill_mid_write, zend_rdssecret_globals, rdssecret_globals)
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

static rs_status fetcher_ready(rs_error *err)
{
    if (fetcher.ready) {
        return RS_OK;
    }
    memset(&fetcher.creds_config, 0, sizeof(fetcher.creds_config));
    fetcher.creds_config.imds_endpoint = ini_or_null(RDSSECRET_G(imds_endpoint));
    fetcher.creds_config.imds_v1_fallback = RDSSECRET_G(imds_v1_fallback);
    rs_creds_provider_init(&fetcher.creds, &fetcher.creds_config);
    rs_status st = rs_region_resolve(ini_or_null(RDSSECRET_G(region)), &fetcher.creds_config, fetcher.region, err);
    if (st != RS_OK) {
        return st;
    }
    rs_sm_config cfg = {
        .region = fetcher.region,
        .endpoint = ini_or_null(RDSSECRET_G(endpoint)),
        .ca_file = ini_or_null(RDSSECRET_G(ca_file)),
        .connect_timeout_ms = (long)RDSSECRET_G(connect_timeout_ms),
        .timeout_ms = (long)RDSSECRET_G(timeout_ms),
        .creds = &fetcher.creds,
    };
    st = rs_sm_client_init(&fetcher.client, &cfg, err);
    if (st == RS_OK) {
        fetcher.ready = true;
    }
    return st;
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
#endif
    return rs_sm_get_secret_value(&fetcher.client, req->secret_id, NULL, req->version_stage, out, err);
}

static rs_shmcache_policy cache_policy(void)
{
    int64_t ttl_ms = (int64_t)RDSSECRET_G(ttl) * 1000;
    int64_t per_attempt = (int64_t)RDSSECRET_G(connect_timeout_ms) + (int64_t)RDSSECRET_G(timeout_ms);
    rs_shmcache_policy p = {
        .ttl_ms = ttl_ms,
        .max_stale_ms = (int64_t)RDSSECRET_G(max_stale) * 1000,
        .refresh_min_interval_ms = (int64_t)RDSSECRET_G(refresh_min_interval) * 1000,
        /* Three attempts, credential lookups (up to 3 metadata calls) and backoff sleeps, with margin. */
        .lease_ms = 3 * per_attempt + 3 * per_attempt / 2 + 2000,
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
 * keep it beyond that. */
static zend_string *secret_string_new(const char *value, size_t len)
{
    zend_string *s = zend_string_init(value, len, 1);
    zend_string_hash_val(s);  /* interned strings carry their hash: they may become array keys */
    GC_SET_REFCOUNT(s, 1);
    GC_TYPE_INFO(s) = GC_STRING | ((IS_STR_INTERNED | IS_STR_PERSISTENT) << GC_FLAGS_SHIFT);
    return s;
}

static void secret_string_free(zend_string *s)
{
    OPENSSL_cleanse(ZSTR_VAL(s), ZSTR_LEN(s));
    pefree(s, 1);
}

static void secret_string_retire(zend_string *s)
{
    if (RDSSECRET_G(retired_count) == RDSSECRET_G(retired_capacity)) {
        uint32_t capacity = RDSSECRET_G(retired_capacity) ? RDSSECRET_G(retired_capacity) * 2 : 16;
        RDSSECRET_G(retired) = perealloc(RDSSECRET_G(retired), capacity * sizeof(zend_string *), 1);
        RDSSECRET_G(retired_capacity) = capacity;
    }
    RDSSECRET_G(retired)[RDSSECRET_G(retired_count)++] = s;
}

/* Wipe and free the copies replaced during earlier requests: no script can hold them any more. */
static void free_retired_strings(void)
{
    for (uint32_t i = 0; i < RDSSECRET_G(retired_count); i++) {
        secret_string_free(RDSSECRET_G(retired)[i]);
    }
    RDSSECRET_G(retired_count) = 0;
}

static void local_entry_clear(rdssecret_local_entry *e, bool retire)
{
    for (uint32_t i = 0; i < e->field_count; i++) {
        if (retire) {
            secret_string_retire(e->field_keys[i]);
            secret_string_retire(e->field_values[i]);
        } else {
            secret_string_free(e->field_keys[i]);
            secret_string_free(e->field_values[i]);
        }
    }
    if (e->field_keys) {
        pefree(e->field_keys, 1);
        pefree(e->field_values, 1);
    }
    memset(e, 0, sizeof(*e));  /* password pointed at one of the field values */
}

static rdssecret_local_entry *local_entries(void)
{
    if (!RDSSECRET_G(local)) {
        RDSSECRET_G(local) = pecalloc(rs_shmcache_slot_count(rdssecret_shm), sizeof(rdssecret_local_entry), 1);
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
    if (!src->is_binary) {
        rs_secret_fields fields;
        rs_error err;
        if (rs_secret_fields_parse(src->value, src->value_len, &fields, &err) != RS_OK) {
            throw_error(secret_id, &err);
            return false;
        }
        e->field_count = (uint32_t)fields.count;
        e->field_keys = pecalloc(fields.count ? fields.count : 1, sizeof(zend_string *), 1);
        e->field_values = pecalloc(fields.count ? fields.count : 1, sizeof(zend_string *), 1);
        for (size_t i = 0; i < fields.count; i++) {
            e->field_keys[i] = secret_string_new(fields.fields[i].key, strlen(fields.fields[i].key));
            e->field_values[i] = secret_string_new(fields.fields[i].value, fields.fields[i].value_len);
            if (strcmp(fields.fields[i].key, "password") == 0) {
                e->password = e->field_values[i];
            }
        }
        rs_secret_fields_free(&fields);
    }
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

typedef struct {
    const char *secret_id;
    const char *version_stage;
    int slot;
} target;

/* The cache key: secret id, stage, and where it is fetched from (pools of one host may use other regions or
 * endpoints for the same name). Settings first, then the environment the fetch will use. */
static bool build_key(const char *secret_id, const char *version_stage, char *key, size_t key_len)
{
    const char *region = ini_or_null(RDSSECRET_G(region));
    if (!region) {
        region = ini_or_null(getenv("AWS_REGION"));
    }
    if (!region) {
        region = ini_or_null(getenv("AWS_DEFAULT_REGION"));
    }
    const char *endpoint = ini_or_null(RDSSECRET_G(endpoint));
    if (!endpoint) {
        endpoint = ini_or_null(getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER"));
    }
    if (!endpoint) {
        endpoint = ini_or_null(getenv("AWS_ENDPOINT_URL"));
    }
    int n = snprintf(key, key_len, "%s%c%s%c%.63s%c%.511s", secret_id, KEY_SEPARATOR, version_stage, KEY_SEPARATOR,
                     region ? region : "", KEY_SEPARATOR, endpoint ? endpoint : "");
    return n > 0 && (size_t)n < key_len;
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
        t->slot = RDSSECRET_G(default_slot);
        return true;
    }
    if (secret_id && !id_is_allowed(t->secret_id)) {
        throw_status(t->secret_id, RS_ERR_NOT_ALLOWED,
                     "this secret id is not allowed here (see rdssecret.secret_id and rdssecret.allowed_secret_ids)");
        return false;
    }
    /* Every (secret, stage) takes a host-wide slot for good: only configured stages may. */
    if (version_stage && strcmp(t->version_stage, RDSSECRET_G(version_stage)) != 0 &&
        !list_contains(RDSSECRET_G(allowed_version_stages), t->version_stage)) {
        throw_status(t->secret_id, RS_ERR_NOT_ALLOWED,
                     "this version stage is not allowed here (see rdssecret.allowed_version_stages)");
        return false;
    }
    char key[RS_SHMCACHE_KEY_MAX];
    if (!build_key(t->secret_id, t->version_stage, key, sizeof(key))) {
        throw_status(t->secret_id, RS_ERR_CONFIG, "the secret id, stage, region and endpoint are too long together");
        return false;
    }
    rs_error err;
    t->slot = rs_shmcache_slot(rdssecret_shm, key, &err);
    if (t->slot < 0) {
        throw_error(t->secret_id, &err);
        return false;
    }
    if (is_default) {
        RDSSECRET_G(default_slot) = t->slot;
    }
    return true;
}

/* The current value for a target: this process's copy when current (the hit path: one clock read from the
 * vDSO and one atomic load), else a refresh through the shared cache. NULL with an exception thrown. */
static rdssecret_local_entry *current_entry(const target *t)
{
    rdssecret_local_entry *e = &local_entries()[t->slot];
    if (e->generation && e->pinned_request == RDSSECRET_G(request_serial)) {
        return e;
    }
    if (e->generation &&
        rs_shmcache_is_current(rdssecret_shm, t->slot, e->generation, e->expires_at_ms, rs_clock_monotonic_ms())) {
        e->pinned_request = RDSSECRET_G(request_serial);
        return e;
    }
    if (!value_buffer) {
        value_buffer = pemalloc(RS_SHMCACHE_VALUE_MAX + 1, 1);
    }
    rs_shmcache_policy policy = cache_policy();
    fetch_request req = {t->secret_id, t->version_stage};
    rs_shmcache_entry got;
    memset(&got, 0, sizeof(got));
    got.value = value_buffer;
    bool copied = false;
    rs_error err;
    rs_error_clear(&err);
    rs_status st = rs_shmcache_get(rdssecret_shm, t->slot, &policy, fetch_secret, &req, e->generation, &got,
                                   &copied, &err);
    if (st != RS_OK) {
        throw_error(t->secret_id, &err);
        return NULL;
    }
    if (copied) {
        bool ok = local_entry_fill(e, &got, t->secret_id);
        OPENSSL_cleanse(value_buffer, got.value_len + 1);
        if (!ok) {
            return NULL;
        }
    }
    e->generation = got.generation;
    e->expires_at_ms = got.expires_at_ms;
    e->stale = got.stale;
    e->pinned_request = RDSSECRET_G(request_serial);
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

PHP_FUNCTION(rds_secret_refresh)
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
    rs_shmcache_policy policy = cache_policy();
    fetch_request req = {t.secret_id, t.version_stage};
    bool refreshed = false;
    rs_error err;
    rs_error_clear(&err);
    rs_status st = rs_shmcache_force_refresh(rdssecret_shm, t.slot, &policy, fetch_secret, &req, &refreshed, &err);
    /* The caller asked to leave the version this request pinned: the next read takes the cache's
     * current state, whatever this refresh achieved. */
    local_entries()[t.slot].pinned_request = 0;
    if (st != RS_OK) {
        throw_error(t.secret_id, &err);
        RETURN_THROWS();
    }
    RETURN_BOOL(refreshed);
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
    return fetcher.ready && fetcher.creds.cached.source[0] ? fetcher.creds.cached.source : NULL;
}

/* The endpoint in effect, or what it will be; never does network I/O (MINFO must not block). */
static void effective_region_endpoint(char *region, size_t region_len, char *endpoint, size_t endpoint_len)
{
    const char *r = fetcher.ready ? fetcher.region : ini_or_null(RDSSECRET_G(region));
    if (!r) {
        r = ini_or_null(getenv("AWS_REGION"));
    }
    if (!r) {
        r = ini_or_null(getenv("AWS_DEFAULT_REGION"));
    }
    snprintf(region, region_len, "%s", r ? r : "");
    if (fetcher.ready) {
        snprintf(endpoint, endpoint_len, "%s", fetcher.client.endpoint);
        return;
    }
    rs_error err;
    if (rs_sm_resolve_endpoint(ini_or_null(RDSSECRET_G(endpoint)), r, endpoint, endpoint_len, &err) != RS_OK) {
        snprintf(endpoint, endpoint_len, "%s", "");
    }
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
    if (!rdssecret_shm) {
        return;
    }
    zval shm;
    array_init(&shm);
    add_assoc_long(&shm, "size", (zend_long)rs_shmcache_size_bytes(rdssecret_shm));
    add_assoc_long(&shm, "slots", (zend_long)rs_shmcache_slot_count(rdssecret_shm));
    add_assoc_long(&shm, "slots_used", (zend_long)rs_shmcache_slots_used(rdssecret_shm));
    add_assoc_bool(&shm, "locked", rs_shmcache_is_locked(rdssecret_shm));
    add_assoc_zval(return_value, "shm", &shm);

    zval secrets;
    array_init(&secrets);
    int64_t now_unix = rs_clock_unix_ms();
    for (size_t i = 0; i < rs_shmcache_slot_count(rdssecret_shm); i++) {
        rs_shmcache_slot_info info;
        if (rs_shmcache_describe_slot(rdssecret_shm, i, &info) != 0 || !info.in_use) {
            continue;
        }
        char id[RS_SHMCACHE_KEY_MAX], stage[RS_SHMCACHE_KEY_MAX];
        split_key(info.key, id, sizeof(id), stage, sizeof(stage));
        if (!id_is_allowed(id)) {
            continue;  /* another pool's secret: not this pool's business */
        }
        zval s, stages;
        array_init(&s);
        add_assoc_long(&s, "slot", (zend_long)i);
        add_assoc_string(&s, "secret_id", id);
        add_assoc_string(&s, "version_stage", stage);
        if (info.generation) {
            add_assoc_string(&s, "version_id", info.version_id);
            add_stages(&stages, info.stages);
            add_assoc_zval(&s, "stages", &stages);
            add_assoc_double(&s, "fetched_at", (double)info.fetched_at_unix_ms / 1000.0);
            add_assoc_double(&s, "age", (double)(now_unix - info.fetched_at_unix_ms) / 1000.0);
            add_assoc_double(&s, "expires_in", (double)info.expires_in_ms / 1000.0);
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
        add_next_index_zval(&secrets, &s);
    }
    add_assoc_zval(return_value, "secrets", &secrets);
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

static PHP_MINIT_FUNCTION(rdssecret)
{
    (void)type;
    REGISTER_INI_ENTRIES();

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
    if (fetcher.ready) {
        rs_creds_provider_destroy(&fetcher.creds);
        fetcher.ready = false;
    }
    if (RDSSECRET_G(local) && rdssecret_shm) {
        for (size_t i = 0; i < rs_shmcache_slot_count(rdssecret_shm); i++) {
            local_entry_clear(&RDSSECRET_G(local)[i], false);
        }
        pefree(RDSSECRET_G(local), 1);
        RDSSECRET_G(local) = NULL;
    }
    free_retired_strings();
    if (RDSSECRET_G(retired)) {
        pefree(RDSSECRET_G(retired), 1);
        RDSSECRET_G(retired) = NULL;
        RDSSECRET_G(retired_capacity) = 0;
    }
    if (value_buffer) {
        pefree(value_buffer, 1);
        value_buffer = NULL;
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
    if (RDSSECRET_G(retired_count)) {
        free_retired_strings();
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
