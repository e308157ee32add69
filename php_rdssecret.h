/* The PHP-facing layer of rdssecret: module entry, version and module globals.
 * Everything that works without the Zend engine lives in src/. */
#ifndef PHP_RDSSECRET_H
#define PHP_RDSSECRET_H

extern zend_module_entry rdssecret_module_entry;
#define phpext_rdssecret_ptr &rdssecret_module_entry

#define PHP_RDSSECRET_VERSION "0.1.0"

struct rdssecret_local_entry;
struct rs_shmcache;

/* What a call names, resolved: the secret, its stage, and where its value is cached. */
typedef struct {
    const char *secret_id;
    const char *version_stage;
    struct rs_shmcache *cache;     /* the host-wide cache, or this process's when the shared one had no slot */
    int slot;
    int local;                     /* index of this process's copy */
} rdssecret_target;

ZEND_BEGIN_MODULE_GLOBALS(rdssecret)
    /* php.ini settings (all PHP_INI_SYSTEM: php.ini or an FPM pool's php_admin_value, never a script) */
    bool enabled;
    char *secret_id;
    char *allowed_secret_ids;
    char *region;
    char *endpoint;
    char *version_stage;
    char *allowed_version_stages;
    zend_long ttl;
    zend_long max_stale;
    zend_long refresh_min_interval;
    zend_long connect_timeout_ms;
    zend_long timeout_ms;
    zend_long fetch_timeout_ms;
    char *ca_file;
    char *imds_endpoint;
    bool imds_v1_fallback;
    zend_long shm_slots;
    char *iam_allowed;
    zend_long iam_token_lifetime;
#ifdef RDSSECRET_DEBUG
    zend_long debug_kill_mid_write;
    zend_long debug_kill_mid_claim;
    zend_long debug_kill_in_fetch;
#endif
    /* per process (per thread under ZTS): this process's copies of the cached values */
    struct rdssecret_local_entry *local;   /* one per shared slot, made on first use */
    uint64_t request_serial;               /* counts requests: a value read in a request is pinned to it */
    int default_slot;                      /* slot of (secret_id, version_stage), -1 until first use */
    rdssecret_target default_target;       /* where (secret_id, version_stage) is cached, once default_slot >= 0 */
    void **retired;                        /* secmem blocks of replaced copies, freed when the next request starts */
    uint32_t retired_count;
    uint32_t retired_capacity;
ZEND_END_MODULE_GLOBALS(rdssecret)

ZEND_EXTERN_MODULE_GLOBALS(rdssecret)
#define RDSSECRET_G(v) ZEND_MODULE_GLOBALS_ACCESSOR(rdssecret, v)

#if defined(ZTS) && defined(COMPILE_DL_RDSSECRET)
ZEND_TSRMLS_CACHE_EXTERN()
#endif

#endif
