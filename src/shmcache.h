/* The host-wide secret cache: fixed slots in one anonymous shared mapping made before PHP forks its
 * workers (FPM master, Apache prefork parent), read lock-free through a seqlock, refreshed by one
 * process at a time under an expiring lease, serving the last good value while AWS fails.
 * No locks are held across a fetch; a process killed at any instruction cannot wedge the others. */
#ifndef RS_SHMCACHE_H
#define RS_SHMCACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "sm.h"

#define RS_SHMCACHE_VALUE_MAX RS_SM_MAX_SECRET_BYTES
#define RS_SHMCACHE_KEY_MAX 3072       /* id (2048) + stage (256) + region + endpoint, with separators */
#define RS_SHMCACHE_VERSION_ID_MAX 65
#define RS_SHMCACHE_STAGES_MAX 256
#define RS_SHMCACHE_ARN_MAX 1024
#define RS_SHMCACHE_ERROR_MAX 512

typedef struct rs_shmcache rs_shmcache;

/* How long values live and how failures are handled; milliseconds. */
typedef struct {
    int64_t ttl_ms;                    /* a value is refreshed this long after it was fetched */
    int64_t max_stale_ms;              /* past expiry, the last good value is served this long while refreshing fails */
    int64_t refresh_min_interval_ms;   /* least time between two forced refreshes of one slot, host-wide */
    int64_t lease_ms;                  /* the longest one fetch may take; a dead fetcher is replaced after this */
    int64_t backoff_base_ms;           /* first wait after a failed fetch (doubles, full jitter) */
    int64_t backoff_max_ms;
    /* Forced refreshes only: when Secrets Manager last answered about a sibling of the slot (the same secret's
     * AWSPENDING: its fetch's start, rs_shmcache_answered_ns, monotonic nanoseconds; 0: none). An answer that
     * began after this slot's last forced refresh ended is newer news than the copy that refresh left (AWSPENDING
     * "not found": the rotation finished since), so the adaptive floor is waived once for it. */
    int64_t sibling_answered_ns;
} rs_shmcache_policy;

/* One slot's value as copied out to a process. `value` points into the caller's buffer. */
typedef struct {
    uint64_t generation;               /* changes whenever a new value is written */
    int64_t expires_at_ms;             /* monotonic clock */
    int64_t fetched_at_unix_ms;        /* wall clock, for display */
    double created_date;               /* CreatedDate of the version, epoch seconds */
    char version_id[RS_SHMCACHE_VERSION_ID_MAX];
    char stages[RS_SHMCACHE_STAGES_MAX];   /* comma-separated */
    char arn[RS_SHMCACHE_ARN_MAX];
    bool is_binary;
    size_t value_len;
    char *value;                       /* caller-provided, RS_SHMCACHE_VALUE_MAX + 1 bytes, NUL-terminated */
    bool stale;                        /* served past expiry because refreshing failed or is in progress */
} rs_shmcache_entry;

/* Statistics and state of one slot, for MINFO and rds_secret_info(). Never holds the value. */
typedef struct {
    bool in_use;
    char key[RS_SHMCACHE_KEY_MAX];
    uint64_t generation;
    int64_t fetched_at_unix_ms;
    int64_t expires_in_ms;             /* negative when expired */
    int64_t lifetime_left_ms;          /* a value with a lifetime of its own: time left before it is never served
                                        * again (0: no such lifetime) */
    char version_id[RS_SHMCACHE_VERSION_ID_MAX];
    char stages[RS_SHMCACHE_STAGES_MAX];
    char credential_source[16];        /* which credentials fetched the value, in whichever process */
    uint64_t fetches, errors, stale_served, waits, forced_refreshes, forced_refused, login_failures;
    uint32_t consecutive_failures;
    int64_t next_attempt_in_ms;        /* > 0 while backing off */
    int last_error_status;
    char last_error_code[64];
    char last_error_message[RS_SHMCACHE_ERROR_MAX];
    int lease_pid;                     /* the process fetching now, or 0 */
} rs_shmcache_slot_info;

/* Warnings the callers log, each at most once per interval per slot across the host. */
typedef enum {
    RS_SHMCACHE_WARN_STALE = 0,        /* a stale value was served because refreshing fails */
    RS_SHMCACHE_WARN_FETCH_FAILED,     /* a fetch failed */
    RS_SHMCACHE_WARN_FORCED_REFUSED,   /* a forced refresh was refused by the rate limit */
    RS_SHMCACHE_WARN_LOGIN_FAILED,     /* the database refused the credentials of a cached version */
    RS_SHMCACHE_WARN_KINDS
} rs_shmcache_warn_kind;

/* The fetch the cache runs when a slot needs a value (one process on the host at a time). */
typedef rs_status (*rs_shmcache_fetch_fn)(void *ctx, rs_secret_value *out, rs_error *err);

/* Map the cache: shared and anonymous so forked children inherit it, excluded from core dumps,
 * locked in memory when the process may (best effort). */
rs_status rs_shmcache_create(size_t slot_count, rs_shmcache **out, rs_error *err);
/* The same slots in private memory, for this process alone: where a key finds no shared slot, the caller keeps
 * caching it (with the same single-flight and stale rules within the process) instead of failing. */
rs_status rs_shmcache_create_private(size_t slot_count, rs_shmcache **out, rs_error *err);
/* Unmap (does not wipe: other processes may still use it). */
void rs_shmcache_detach(rs_shmcache *c);
/* Wipe every value, then unmap: for the last user (tests, the CLI). */
void rs_shmcache_destroy(rs_shmcache *c);

size_t rs_shmcache_size_bytes(const rs_shmcache *c);
size_t rs_shmcache_slot_count(const rs_shmcache *c);
size_t rs_shmcache_slots_used(const rs_shmcache *c);
bool rs_shmcache_is_locked(const rs_shmcache *c);
int rs_shmcache_describe_slot(const rs_shmcache *c, size_t index, rs_shmcache_slot_info *out);

/* The slot for a key (compared in full), claimed if new; -1 with RS_ERR_CACHE_FULL when every slot holds
 * another key, or RS_ERR_INVALID_PARAMETER when the key is longer than RS_SHMCACHE_KEY_MAX - 1.
 * A process killed while claiming leaves no lost slot: the next lookup that meets the claim sees the claimer
 * gone (or past its deadline) and takes the slot over; a lookup never waits more than a bounded spin for a live
 * claimer, and never sleeps. */
int rs_shmcache_slot(rs_shmcache *c, const char *key, rs_error *err);
/* The same, but a new key is refused (RS_ERR_CACHE_FULL) unless more than keep_free slots are free: the last
 * ones stay for the keys that matter most (each pool's default secret). */
int rs_shmcache_slot_reserving(rs_shmcache *c, const char *key, size_t keep_free, rs_error *err);
/* The slot that holds key, or -1: a lookup that never claims. */
int rs_shmcache_find(rs_shmcache *c, const char *key);
/* When the fetch began whose answer (a value or an error) the slot last recorded; 0: never answered. Monotonic
 * nanoseconds (CLOCK_MONOTONIC, not the coarse clock: two requests a few milliseconds apart must be told apart). */
int64_t rs_shmcache_answered_ns(const rs_shmcache *c, int slot);

/* The hit test, on the hot path: the caller's copy (generation, expires_at) is still good at now_ms.
 * One atomic load; no lock, no system call. */
bool rs_shmcache_is_current(const rs_shmcache *c, int slot, uint64_t generation, int64_t expires_at_ms,
                            int64_t now_ms);

/* Get a value for the slot: the cached one if fresh; otherwise refresh it (single flight: one process
 * fetches, others serve their stale copy or, on a cold slot, wait for that fetch up to the lease).
 * When the caller's copy has generation have_generation and is still the slot's, only the metadata is
 * filled (out->value untouched) and *copied is false. */
rs_status rs_shmcache_get(rs_shmcache *c, int slot, const rs_shmcache_policy *p, rs_shmcache_fetch_fn fetch,
                          void *ctx, uint64_t have_generation, rs_shmcache_entry *out, bool *copied,
                          rs_error *err);

/* A forced refresh (the caller's copy, of generation failed_generation, was refused by the database; 0 when the
 * caller has none), rate-limited per slot across the host. Returns RS_OK with *refreshed true when a value newer
 * than the caller's is now in the slot (this call fetched it, waited for another process's fetch, or found it
 * there already: then no request is made), *refreshed false when the rate limit refused it. Fifty processes
 * failing with the same copy cause one fetch; a copy that a forced refresh produced and that fails too may be
 * replaced again after an adaptive floor (1 s, doubling while Secrets Manager answers the same version), not a
 * whole refresh_min_interval: during a rotation the secret moves on within seconds. The floor is waived once
 * for a sibling's newer answer (p->sibling_answered_ns). */
rs_status rs_shmcache_force_refresh(rs_shmcache *c, int slot, const rs_shmcache_policy *p,
                                    rs_shmcache_fetch_fn fetch, void *ctx, uint64_t failed_generation,
                                    bool *refreshed, rs_error *err);

/* Whether this process should log a warning of this kind for the slot now: true for one caller per interval_ms,
 * host-wide. */
bool rs_shmcache_warn_due(rs_shmcache *c, int slot, rs_shmcache_warn_kind kind, int64_t interval_ms);

/* Count a database login refused with this slot's value (for rds_secret_info() and the metrics). */
void rs_shmcache_count_login_failure(rs_shmcache *c, int slot);

/* Clocks in milliseconds: monotonic (shared by every process of the host) and wall. */
int64_t rs_clock_monotonic_ms(void);
int64_t rs_clock_unix_ms(void);

/* Test hook: when set, the next slot claim kills the claiming process (SIGKILL) between taking the claim and
 * writing the key. Only compiled in with RDSSECRET_DEBUG. */
#ifdef RDSSECRET_DEBUG
extern int rs_shmcache_debug_kill_mid_claim;
#endif

/* Test hook: when set to n > 0, the n-th value write from now kills the writing process (SIGKILL) half way
 * through, leaving the slot mid-write. Only compiled in with RDSSECRET_DEBUG. */
#ifdef RDSSECRET_DEBUG
extern int rs_shmcache_debug_kill_mid_write;
/* Test hook: when set, the next value write flips one byte of the value after publishing it (as a writer that
 * outlived its lease would), so readers must refuse the copy. */
extern int rs_shmcache_debug_corrupt_after_write;
#endif

#endif
