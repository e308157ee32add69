/* The host-wide secret cache in shared memory. See shmcache.h for the contract; the protocol is:
 * - identity: a slot is claimed by CAS of its claim word from 0 to (until_ms << 22 | pid), always the first free
 *   slot, so two processes claiming the same key race on the same slot; the claimer writes the key, then
 *   publishes it by CAS of the claim word to PUBLISHED, then stores the key hash. A claimer that died (its pid is
 *   gone) or overran its deadline is replaced by the next process that meets the slot. Slots are never evicted;
 * - generations come from one host-wide counter, so no two writes ever publish the same generation;
 * - values: written under a seqlock (seq odd while writing) by the holder of the refresh lease, then
 *   `generation` is bumped; readers copy and retry a bounded number of times;
 * - lease: one 64-bit word holding (until_ms << 22 | pid), taken by CAS when free or expired, so a holder
 *   that dies is replaced after lease_ms; a writer that died mid-write leaves seq odd, and the next holder's
 *   write makes it even again;
 * - failures: recorded in the slot with a host-wide next-attempt time (exponential backoff, full jitter). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "shmcache.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define SHMCACHE_MAGIC 0x7264737365637231ull /* "rdssecr1" */
#define LEASE_PID_BITS 22
#define LEASE_PID_MASK ((UINT64_C(1) << LEASE_PID_BITS) - 1)
#define SEQLOCK_TRIES 200
#define WAIT_STEP_MS 5
#define CLAIM_PUBLISHED UINT64_C(1)    /* a claim word's final value: the key is written */
#define CLAIM_MS 2000                  /* a claimer that has not published by then is taken to be dead */
#define CLAIM_WAIT_YIELDS 200          /* how long a lookup waits for a live claimer before passing by */

#ifdef RDSSECRET_DEBUG
int rs_shmcache_debug_kill_mid_claim = 0;
int rs_shmcache_debug_kill_mid_write = 0;
int rs_shmcache_debug_corrupt_after_write = 0;
#endif

/* What the seqlock protects: copied out whole by readers. */
typedef struct {
    uint64_t generation;
    int64_t expires_at_ms;
    int64_t fetched_at_unix_ms;
    double created_date;
    char version_id[RS_SHMCACHE_VERSION_ID_MAX];
    char stages[RS_SHMCACHE_STAGES_MAX];
    char arn[RS_SHMCACHE_ARN_MAX];
    uint32_t is_binary;
    uint32_t value_len;
    uint64_t value_check;    /* hash of the value and its length, see value_check() */
    char source[16];         /* the credentials that fetched it */
} slot_meta;

typedef struct {
    int status;
    char code[64];
    char message[RS_SHMCACHE_ERROR_MAX];
} slot_error;

typedef struct {
    _Alignas(64) _Atomic uint64_t key_hash;   /* 0: not published (free, or being claimed) */
    _Atomic uint64_t claim;                   /* 0 free, CLAIM_PUBLISHED, or a claimer's (until_ms << 22 | pid) */
    _Atomic uint64_t seq;
    _Atomic uint64_t generation;              /* 0: no value yet */
    _Atomic int64_t expires_at_ms;
    _Atomic int64_t not_after_ms;             /* 0, or the end of the value's own lifetime: never served past it */
    _Atomic uint64_t lease;
    _Atomic int64_t next_attempt_ms;
    _Atomic int64_t last_forced_ms;
    _Atomic uint64_t last_forced_for;         /* the generation the last forced refresh replaced */
    _Atomic int64_t forced_floor_ms;          /* least time between forced refreshes of newer copies (adaptive) */
    _Atomic int64_t last_forced_done_ns;      /* when the last forced refresh's fetch ended (fine_clock_ns) */
    _Atomic int64_t answered_ns;              /* when the fetch began whose answer (value or error) came last */
    _Atomic uint32_t consecutive_failures;
    _Atomic uint64_t fetches, errors, stale_served, waits, forced_refreshes, forced_refused, login_failures;
    _Atomic int64_t warned_ms[RS_SHMCACHE_WARN_KINDS];   /* when each kind of warning was last logged */
    _Atomic uint64_t error_seq;
    slot_error error;
    char key[RS_SHMCACHE_KEY_MAX];
    slot_meta meta;
    char value[RS_SHMCACHE_VALUE_MAX + 1];
} slot;

struct rs_shmcache {
    uint64_t magic;
    uint64_t slot_count;
    uint64_t map_size;
    uint32_t locked;
    uint32_t shared;
    _Atomic uint64_t last_generation;         /* host-wide: every write takes the next one */
    _Alignas(64) slot slots[];
};

int64_t rs_clock_monotonic_ms(void)
{
    struct timespec ts;
    /* The coarse clock is read from the vDSO: no system call on the hit path. */
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t rs_clock_unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The fine monotonic clock, for ordering a fetch against another one (the coarse clock ticks every few ms). */
static int64_t fine_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static uint64_t key_hash(const char *key)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    return h ? h : 1;
}

static rs_status create(size_t slot_count, bool shared, rs_shmcache **out, rs_error *err)
{
    *out = NULL;
    if (slot_count < 1 || slot_count > 4096) {
        return rs_error_set(err, RS_ERR_CONFIG, "shared cache slot count must be 1 to 4096, not %zu", slot_count);
    }
    size_t size = sizeof(rs_shmcache) + slot_count * sizeof(slot);
    long page = sysconf(_SC_PAGESIZE);
    size = (size + (size_t)page - 1) / (size_t)page * (size_t)page;
    void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
        return rs_error_set(err, RS_ERR_INTERNAL, "cannot map %zu bytes of shared memory: %s", size, strerror(errno));
    }
#ifdef MADV_DONTDUMP
    /* Secrets must not land in core dumps. */
    madvise(map, size, MADV_DONTDUMP);
#endif
#ifdef MADV_DONTFORK
    /* Deliberately not MADV_DONTFORK: forked workers must inherit the mapping. */
#endif
    rs_shmcache *c = map;  /* the mapping is zero-filled: every slot free, every counter 0 */
    c->magic = SHMCACHE_MAGIC;
    c->slot_count = slot_count;
    c->map_size = size;
    c->shared = shared;
    /* Keep secrets out of swap where the process may lock memory; not fatal otherwise. */
    c->locked = mlock(map, size) == 0;
    *out = c;
    return RS_OK;
}

rs_status rs_shmcache_create(size_t slot_count, rs_shmcache **out, rs_error *err)
{
    return create(slot_count, true, out, err);
}

rs_status rs_shmcache_create_private(size_t slot_count, rs_shmcache **out, rs_error *err)
{
    return create(slot_count, false, out, err);
}

void rs_shmcache_detach(rs_shmcache *c)
{
    if (c) {
        munmap(c, c->map_size);
    }
}

void rs_shmcache_destroy(rs_shmcache *c)
{
    if (c) {
        size_t size = c->map_size;
        OPENSSL_cleanse(c, size);
        munmap(c, size);
    }
}

size_t rs_shmcache_size_bytes(const rs_shmcache *c) { return c->map_size; }
size_t rs_shmcache_slot_count(const rs_shmcache *c) { return c->slot_count; }
bool rs_shmcache_is_locked(const rs_shmcache *c) { return c->locked != 0; }

size_t rs_shmcache_slots_used(const rs_shmcache *c)
{
    size_t used = 0;
    for (size_t i = 0; i < c->slot_count; i++) {
        used += atomic_load_explicit(&((rs_shmcache *)c)->slots[i].claim, memory_order_relaxed) != 0;
    }
    return used;
}

static uint64_t claim_token(int64_t until_ms)
{
    return ((uint64_t)until_ms << LEASE_PID_BITS) | ((uint64_t)getpid() & LEASE_PID_MASK);
}

/* A claim in progress whose claimer can no longer finish it: past its deadline, or its process is gone. */
static bool claim_abandoned(uint64_t claim, int64_t now)
{
    if ((int64_t)(claim >> LEASE_PID_BITS) <= now) {
        return true;
    }
    pid_t pid = (pid_t)(claim & LEASE_PID_MASK);
    return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH;
}

/* Whether slot s holds exactly this key. The hash is only a filter: a key is compared in full, so a crafted
 * collision cannot make one pool's key find another pool's slot. */
static bool slot_holds_key(const slot *s, uint64_t h, const char *key, size_t key_len)
{
    return atomic_load_explicit(&s->key_hash, memory_order_acquire) == h && memcmp(s->key, key, key_len + 1) == 0;
}

/* Claim slot s (seen free, or abandoned with claim word `seen`) for key; true when this process now owns it. */
static bool claim_slot(slot *s, uint64_t seen, uint64_t h, const char *key, size_t key_len)
{
    uint64_t mine = claim_token(rs_clock_monotonic_ms() + CLAIM_MS);
    if (mine == seen) {
        mine ^= 1;  /* never equal to an old claim of our own pid */
    }
    if (!atomic_compare_exchange_strong(&s->claim, &seen, mine)) {
        return false;
    }
#ifdef RDSSECRET_DEBUG
    if (rs_shmcache_debug_kill_mid_claim) {
        rs_shmcache_debug_kill_mid_claim = 0;
        kill(getpid(), SIGKILL);
    }
#endif
    memcpy(s->key, key, key_len + 1);
    /* Publish only if nobody took the claim over meanwhile (we may have been stopped past the deadline). */
    uint64_t expected = mine;
    if (!atomic_compare_exchange_strong(&s->claim, &expected, CLAIM_PUBLISHED)) {
        return false;
    }
    atomic_store_explicit(&s->key_hash, h, memory_order_release);
    return true;
}

int rs_shmcache_slot_reserving(rs_shmcache *c, const char *key, size_t keep_free, rs_error *err)
{
    size_t key_len = strlen(key);
    if (key_len >= RS_SHMCACHE_KEY_MAX) {
        rs_error_set(err, RS_ERR_INVALID_PARAMETER, "cache key too long");
        return -1;
    }
    uint64_t h = key_hash(key);
    for (size_t i = 0; i < c->slot_count; i++) {
        slot *s = &c->slots[i];
        if (slot_holds_key(s, h, key, key_len)) {
            return (int)i;
        }
        uint64_t claim = atomic_load_explicit(&s->claim, memory_order_acquire);
        if (claim == CLAIM_PUBLISHED) {
            continue;  /* another key */
        }
        if (claim != 0) {
            /* Being claimed, perhaps for this very key: a live claimer takes microseconds, so wait a little
             * (bounded, no sleep); a dead one is replaced at once. */
            for (int tries = 0; tries < CLAIM_WAIT_YIELDS && claim != 0 && claim != CLAIM_PUBLISHED; tries++) {
                if (claim_abandoned(claim, rs_clock_monotonic_ms())) {
                    break;
                }
                sched_yield();
                claim = atomic_load_explicit(&s->claim, memory_order_acquire);
            }
            if (claim == CLAIM_PUBLISHED) {
                if (slot_holds_key(s, h, key, key_len)) {
                    return (int)i;
                }
                continue;
            }
            if (claim != 0 && !claim_abandoned(claim, rs_clock_monotonic_ms())) {
                continue;  /* still in progress: pass by (at worst this key gets a second slot) */
            }
        }
        /* A free (or abandoned) slot: the first one, so everyone claiming a new key tries this same one. The
         * last keep_free free slots are kept for keys that may use them (see the header). */
        if (keep_free > 0) {
            size_t free_slots = 0;
            for (size_t j = i; j < c->slot_count && free_slots <= keep_free; j++) {
                free_slots += atomic_load_explicit(&c->slots[j].claim, memory_order_relaxed) != CLAIM_PUBLISHED;
            }
            if (free_slots <= keep_free) {
                break;
            }
        }
        if (claim_slot(s, claim, h, key, key_len)) {
            return (int)i;
        }
        /* Lost the race: the winner may have claimed it for this key; look at this slot again. */
        i--;
    }
    rs_error_set(err, RS_ERR_CACHE_FULL,
                 "the shared secret cache is full (%zu slots, each holding another secret); raise rdssecret.shm_slots",
                 (size_t)c->slot_count);
    return -1;
}

int rs_shmcache_find(rs_shmcache *c, const char *key)
{
    size_t key_len = strlen(key);
    if (key_len >= RS_SHMCACHE_KEY_MAX) {
        return -1;
    }
    uint64_t h = key_hash(key);
    for (size_t i = 0; i < c->slot_count; i++) {
        if (slot_holds_key(&c->slots[i], h, key, key_len)) {
            return (int)i;
        }
    }
    return -1;
}

int64_t rs_shmcache_answered_ns(const rs_shmcache *c, int slot_index)
{
    return atomic_load_explicit(&((rs_shmcache *)c)->slots[slot_index].answered_ns, memory_order_acquire);
}

int rs_shmcache_slot(rs_shmcache *c, const char *key, rs_error *err)
{
    return rs_shmcache_slot_reserving(c, key, 0, err);
}

bool rs_shmcache_is_current(const rs_shmcache *c, int slot_index, uint64_t generation, int64_t expires_at_ms,
                            int64_t now_ms)
{
    return now_ms < expires_at_ms &&
           atomic_load_explicit(&c->slots[slot_index].generation, memory_order_acquire) == generation;
}

/* --- lease ----------------------------------------------------------------------------------------- */

static bool lease_held(uint64_t lease, int64_t now)
{
    return lease != 0 && (int64_t)(lease >> LEASE_PID_BITS) > now;
}

static bool lease_take(slot *s, int64_t now, int64_t lease_ms, uint64_t *token)
{
    uint64_t cur = atomic_load_explicit(&s->lease, memory_order_acquire);
    if (lease_held(cur, now)) {
        return false;
    }
    uint64_t mine = ((uint64_t)(now + lease_ms) << LEASE_PID_BITS) | ((uint64_t)getpid() & LEASE_PID_MASK);
    if (mine == cur) {
        mine ^= 1;  /* never equal to a stale token of our own pid */
    }
    if (!atomic_compare_exchange_strong(&s->lease, &cur, mine)) {
        return false;
    }
    *token = mine;
    return true;
}

static bool lease_still_mine(slot *s, uint64_t token)
{
    return atomic_load_explicit(&s->lease, memory_order_acquire) == token;
}

static void lease_release(slot *s, uint64_t token)
{
    uint64_t expected = token;
    atomic_compare_exchange_strong(&s->lease, &expected, 0);
}

/* --- seqlock ---------------------------------------------------------------------------------------- */

/* Copy the slot's metadata (and value, when value_out is set). false when no clean copy could be made. */
/* The seqlock alone cannot catch one case: a lease holder descheduled past its lease while writing, whose
 * late bytes land after a newer holder's write made seq even again (both writers end on the same even seq).
 * So every copy of a value is also checked against a hash its writer stored; a mismatch is a torn copy. */
static uint64_t value_check(const char *bytes, size_t len)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)len;  /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)bytes[i];
        h *= 1099511628211ull;
    }
    return h;
}

static bool read_slot(slot *s, slot_meta *meta, char *value_out)
{
    for (int tries = 0; tries < SEQLOCK_TRIES; tries++) {
        uint64_t before = atomic_load_explicit(&s->seq, memory_order_acquire);
        if (before & 1) {
            if (tries > 10) {
                sched_yield();
            }
            continue;
        }
        memcpy(meta, &s->meta, sizeof(*meta));
        size_t len = meta->value_len <= RS_SHMCACHE_VALUE_MAX ? meta->value_len : RS_SHMCACHE_VALUE_MAX;
        if (value_out) {
            memcpy(value_out, s->value, len);
            value_out[len] = '\0';
        }
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&s->seq, memory_order_relaxed) == before) {
            if (value_out && value_check(value_out, len) != meta->value_check) {
                return false;  /* mixed bytes from two writers: never hand them out */
            }
            meta->value_len = (uint32_t)len;
            return true;
        }
    }
    return false;
}

static void join_stages(const rs_secret_value *v, char *out, size_t out_len)
{
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < v->version_stage_count; i++) {
        int n = snprintf(out + used, out_len - used, "%s%s", i ? "," : "", v->version_stages[i]);
        if (n < 0 || (size_t)n >= out_len - used) {
            break;
        }
        used += (size_t)n;
    }
}

/* Write a value under the seqlock; returns its generation. The written metadata is also copied to *written. */
static uint64_t write_slot(rs_shmcache *c, slot *s, const rs_secret_value *v, int64_t expires_at_ms,
                           int64_t not_after_ms, slot_meta *written)
{
    uint64_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
    /* An odd seq here was left by a writer that died mid-write: keep it odd and finish the job. */
    if (!(seq & 1)) {
        atomic_store_explicit(&s->seq, seq + 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_release);
    }
    /* Unique by construction: two writers that both outlived their leases still publish different numbers. */
    uint64_t generation = atomic_fetch_add_explicit(&c->last_generation, 1, memory_order_relaxed) + 1;
    const char *bytes = v->secret_string ? v->secret_string : (const char *)v->secret_binary;
    size_t len = v->secret_string ? v->secret_string_len : v->secret_binary_len;
    slot_meta *m = &s->meta;
    size_t old_len = m->value_len;
    m->generation = generation;
    m->expires_at_ms = expires_at_ms;
    m->fetched_at_unix_ms = rs_clock_unix_ms();
    m->created_date = v->created_date;
    snprintf(m->version_id, sizeof(m->version_id), "%s", v->version_id ? v->version_id : "");
    join_stages(v, m->stages, sizeof(m->stages));
    snprintf(m->arn, sizeof(m->arn), "%s", v->arn ? v->arn : "");
    m->is_binary = v->secret_string == NULL;
    memcpy(m->source, v->source, sizeof(m->source));
    m->source[sizeof(m->source) - 1] = '\0';
    memcpy(s->value, bytes, len / 2);
#ifdef RDSSECRET_DEBUG
    if (rs_shmcache_debug_kill_mid_write > 0 && --rs_shmcache_debug_kill_mid_write == 0) {
        kill(getpid(), SIGKILL);
    }
#endif
    memcpy(s->value + len / 2, bytes + len / 2, len - len / 2);
    if (old_len > len) {
        OPENSSL_cleanse(s->value + len, old_len - len);  /* no tail of the previous secret stays behind */
    }
    s->value[len] = '\0';
    m->value_len = (uint32_t)len;
    m->value_check = value_check(bytes, len);
    atomic_store_explicit(&s->seq, (seq | 1) + 1, memory_order_release);
#ifdef RDSSECRET_DEBUG
    if (rs_shmcache_debug_corrupt_after_write > 0 && len > 0) {
        /* Test hook: a late writer's stray byte after the slot was published. */
        rs_shmcache_debug_corrupt_after_write = 0;
        s->value[len / 2] ^= 0x20;
    }
#endif
    *written = *m;
    atomic_store_explicit(&s->not_after_ms, not_after_ms, memory_order_release);
    atomic_store_explicit(&s->expires_at_ms, expires_at_ms, memory_order_release);
    atomic_store_explicit(&s->generation, generation, memory_order_release);
    return generation;
}

static void record_error(slot *s, const rs_error *e)
{
    uint64_t seq = atomic_load_explicit(&s->error_seq, memory_order_relaxed);
    if (!(seq & 1)) {
        atomic_store_explicit(&s->error_seq, seq + 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_release);
    }
    s->error.status = e->status;
    snprintf(s->error.code, sizeof(s->error.code), "%s", e->aws_code);
    snprintf(s->error.message, sizeof(s->error.message), "%s", e->message);
    atomic_store_explicit(&s->error_seq, (seq | 1) + 1, memory_order_release);
}

static void read_error(slot *s, slot_error *out)
{
    for (int tries = 0; tries < SEQLOCK_TRIES; tries++) {
        uint64_t before = atomic_load_explicit(&s->error_seq, memory_order_acquire);
        if (before & 1) {
            continue;
        }
        memcpy(out, &s->error, sizeof(*out));
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&s->error_seq, memory_order_relaxed) == before) {
            out->code[sizeof(out->code) - 1] = '\0';
            out->message[sizeof(out->message) - 1] = '\0';
            return;
        }
    }
    memset(out, 0, sizeof(*out));
    snprintf(out->message, sizeof(out->message), "(the last error is being updated)");
    out->status = RS_ERR_INTERNAL;
}

/* --- reading ---------------------------------------------------------------------------------------- */

static void fill_entry(rs_shmcache_entry *out, const slot_meta *m, bool stale)
{
    out->generation = m->generation;
    out->expires_at_ms = m->expires_at_ms;
    out->fetched_at_unix_ms = m->fetched_at_unix_ms;
    out->created_date = m->created_date;
    memcpy(out->version_id, m->version_id, sizeof(out->version_id));
    memcpy(out->stages, m->stages, sizeof(out->stages));
    memcpy(out->arn, m->arn, sizeof(out->arn));
    out->is_binary = m->is_binary != 0;
    out->value_len = m->value_len;
    out->stale = stale;
}

typedef enum { DELIVERED, TORN } delivery;

/* Hand the slot's value to the caller: metadata only when the caller's copy is this generation. */
static delivery deliver(slot *s, uint64_t have_generation, rs_shmcache_entry *out, bool *copied, bool stale)
{
    slot_meta meta;
    uint64_t generation = atomic_load_explicit(&s->generation, memory_order_acquire);
    if (generation == have_generation && generation != 0) {
        out->generation = generation;
        out->expires_at_ms = atomic_load_explicit(&s->expires_at_ms, memory_order_acquire);
        out->stale = stale;
        *copied = false;
        return DELIVERED;
    }
    if (!read_slot(s, &meta, out->value)) {
        return TORN;
    }
    fill_entry(out, &meta, stale);
    *copied = true;
    return DELIVERED;
}

static rs_status last_error(slot *s, rs_status fallback, const char *why, rs_error *err)
{
    slot_error e;
    read_error(s, &e);
    rs_status st = e.status ? (rs_status)e.status : fallback;
    rs_error_set(err, fallback == RS_ERR_STALE_LIMIT ? RS_ERR_STALE_LIMIT : st, "%s%s", why, e.message);
    if (err) {
        snprintf(err->aws_code, sizeof(err->aws_code), "%s", e.code);
    }
    return err ? err->status : st;
}

static int64_t backoff_ms(const rs_shmcache_policy *p, uint32_t failures)
{
    int64_t ceiling = p->backoff_base_ms > 0 ? p->backoff_base_ms : 1000;
    for (uint32_t i = 1; i < failures && ceiling < p->backoff_max_ms; i++) {
        ceiling *= 2;
    }
    if (p->backoff_max_ms > 0 && ceiling > p->backoff_max_ms) {
        ceiling = p->backoff_max_ms;
    }
    uint32_t r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1) {
        r = UINT32_MAX / 2;
    }
    /* Full jitter, but never less than half the ceiling: a burst of failures must still back off. */
    return ceiling / 2 + (int64_t)((double)r / (double)UINT32_MAX * (double)(ceiling / 2));
}

/* The lease holder's work: fetch with no lock held, then publish the value or the failure. */
static rs_status refresh_as_holder(rs_shmcache *c, slot *s, const rs_shmcache_policy *p, rs_shmcache_fetch_fn fetch, void *ctx,
                                   uint64_t token, rs_shmcache_entry *out, bool *copied, rs_error *err)
{
    rs_secret_value v;
    rs_error fetch_err;
    rs_error_clear(&fetch_err);
    memset(&v, 0, sizeof(v));
    int64_t asked = fine_clock_ns();
    rs_status st = fetch(ctx, &v, &fetch_err);
    if (st == RS_OK && (v.secret_string_len > RS_SHMCACHE_VALUE_MAX || v.secret_binary_len > RS_SHMCACHE_VALUE_MAX)) {
        rs_secret_value_free(&v);
        st = rs_error_set(&fetch_err, RS_ERR_TOO_LARGE, "the secret is larger than 64 KiB");
    }
    int64_t now = rs_clock_monotonic_ms();
    if (st == RS_OK) {
        slot_meta written;
        memset(&written, 0, sizeof(written));
        /* A value with a lifetime of its own (an IAM token) is renewed a third of it before its end, whatever the
         * TTL, and never served once a second is left. */
        int64_t ttl = p->ttl_ms, not_after = 0;
        if (v.lifetime_ms > 0) {
            int64_t renew = v.lifetime_ms - v.lifetime_ms / 3;
            ttl = renew < ttl ? renew : ttl;
            not_after = now + v.lifetime_ms - (v.lifetime_ms > 3000 ? 1000 : v.lifetime_ms / 3);
        }
        if (lease_still_mine(s, token)) {
            write_slot(c, s, &v, now + ttl, not_after, &written);
            atomic_store_explicit(&s->answered_ns, asked, memory_order_release);
            atomic_store_explicit(&s->consecutive_failures, 0, memory_order_relaxed);
            atomic_store_explicit(&s->next_attempt_ms, 0, memory_order_relaxed);
        }
        /* else: we outlived our lease and a newer holder owns the slot; it publishes its own fetch, and ours
         * goes to the caller with generation 0 (never current, so its next call reads the slot). */
        atomic_fetch_add_explicit(&s->fetches, 1, memory_order_relaxed);
        lease_release(s, token);
        if (out) {
            /* The caller gets the value fetched, not a re-read of the slot. */
            const char *bytes = v.secret_string ? v.secret_string : (const char *)v.secret_binary;
            size_t len = v.secret_string ? v.secret_string_len : v.secret_binary_len;
            if (written.generation == 0) {
                written.expires_at_ms = now;
                written.fetched_at_unix_ms = rs_clock_unix_ms();
                written.created_date = v.created_date;
                written.is_binary = v.secret_string == NULL;
                snprintf(written.version_id, sizeof(written.version_id), "%s", v.version_id ? v.version_id : "");
                join_stages(&v, written.stages, sizeof(written.stages));
                snprintf(written.arn, sizeof(written.arn), "%s", v.arn ? v.arn : "");
            }
            memcpy(out->value, bytes, len);
            out->value[len] = '\0';
            written.value_len = (uint32_t)len;
            fill_entry(out, &written, false);
            *copied = true;
        }
        rs_secret_value_free(&v);
        return RS_OK;
    }

    uint32_t failures = atomic_fetch_add_explicit(&s->consecutive_failures, 1, memory_order_relaxed) + 1;
    atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
    /* "Not found" is an answer about the secret, not an outage: AWSPENDING is absent between rotations and appears
     * at the next one, which must not find it behind a backoff grown meanwhile. */
    int64_t wait = st == RS_ERR_NOT_FOUND ? (p->backoff_base_ms > 0 ? p->backoff_base_ms : 1000) : backoff_ms(p, failures);
    atomic_store_explicit(&s->next_attempt_ms, now + wait, memory_order_relaxed);
    record_error(s, &fetch_err);
    atomic_store_explicit(&s->answered_ns, asked, memory_order_release);
    lease_release(s, token);
    if (err) {
        *err = fetch_err;
    }
    return st;
}

/* Serve the last good value while refreshing fails or runs elsewhere, within max_stale. */
static rs_status serve_stale(slot *s, const rs_shmcache_policy *p, int64_t now, uint64_t have_generation,
                             rs_shmcache_entry *out, bool *copied, bool *served, rs_error *err)
{
    *served = false;
    int64_t expires = atomic_load_explicit(&s->expires_at_ms, memory_order_acquire);
    if (atomic_load_explicit(&s->generation, memory_order_acquire) == 0) {
        return RS_OK;
    }
    int64_t not_after = atomic_load_explicit(&s->not_after_ms, memory_order_acquire);
    if (not_after != 0 && now >= not_after) {
        return last_error(s, RS_ERR_STALE_LIMIT, "the cached value's own lifetime is over and renewing it fails: ",
                          err);
    }
    if (now >= expires + p->max_stale_ms) {
        char why[160];
        snprintf(why, sizeof(why), "the cached value expired %llds ago, more than max_stale (%llds), and refreshing "
                                   "fails: ",
                 (long long)((now - expires) / 1000), (long long)(p->max_stale_ms / 1000));
        return last_error(s, RS_ERR_STALE_LIMIT, why, err);
    }
    if (deliver(s, have_generation, out, copied, true) != DELIVERED) {
        return RS_OK;  /* torn: let the caller's loop decide */
    }
    atomic_fetch_add_explicit(&s->stale_served, 1, memory_order_relaxed);
    *served = true;
    return RS_OK;
}

rs_status rs_shmcache_get(rs_shmcache *c, int slot_index, const rs_shmcache_policy *p, rs_shmcache_fetch_fn fetch,
                          void *ctx, uint64_t have_generation, rs_shmcache_entry *out, bool *copied, rs_error *err)
{
    slot *s = &c->slots[slot_index];
    *copied = false;
    int64_t started = rs_clock_monotonic_ms();
    bool counted_wait = false;
    for (;;) {
        int64_t now = rs_clock_monotonic_ms();
        uint64_t generation = atomic_load_explicit(&s->generation, memory_order_acquire);
        int64_t expires = atomic_load_explicit(&s->expires_at_ms, memory_order_acquire);
        if (generation != 0 && now < expires) {
            if (deliver(s, have_generation, out, copied, false) == DELIVERED) {
                return RS_OK;
            }
            /* No clean copy: a writer is at work or died mid-write. If nobody holds the lease, the writer
             * is dead: expire the slot so that the next lease holder rewrites it. */
            if (!lease_held(atomic_load_explicit(&s->lease, memory_order_acquire), now)) {
                atomic_compare_exchange_strong(&s->expires_at_ms, &expires, now);
                continue;
            }
        } else if (now < atomic_load_explicit(&s->next_attempt_ms, memory_order_relaxed)) {
            /* Backing off after failures, host-wide: no fetch now. */
            bool served;
            rs_status st = serve_stale(s, p, now, have_generation, out, copied, &served, err);
            if (st != RS_OK || served) {
                return st;
            }
            return last_error(s, RS_ERR_SERVICE, "", err);
        } else {
            uint64_t token;
            if (lease_take(s, now, p->lease_ms, &token)) {
                /* Someone may have published between our look and our lease. */
                if (atomic_load_explicit(&s->generation, memory_order_acquire) != 0 &&
                    now < atomic_load_explicit(&s->expires_at_ms, memory_order_acquire) &&
                    atomic_load_explicit(&s->seq, memory_order_acquire) % 2 == 0) {
                    lease_release(s, token);
                    continue;
                }
                rs_status st = refresh_as_holder(c, s, p, fetch, ctx, token, out, copied, err);
                if (st == RS_OK) {
                    return RS_OK;
                }
                bool served;
                rs_error fetch_err = err ? *err : (rs_error){0};
                /* The fetch took time: judge staleness by the clock now, not when this call began. */
                rs_status stale_st = serve_stale(s, p, rs_clock_monotonic_ms(), have_generation, out, copied,
                                                 &served, err);
                if (served) {
                    return RS_OK;
                }
                if (stale_st != RS_OK) {
                    return stale_st;
                }
                if (err) {
                    *err = fetch_err;
                }
                return st;
            }
            /* Another process is fetching: serve our stale value meanwhile, or wait on a cold slot. */
            bool served;
            rs_status st = serve_stale(s, p, now, have_generation, out, copied, &served, err);
            if (served) {
                return RS_OK;
            }
            (void)st;  /* past max_stale: better to wait for the fetch in flight than to fail */
        }
        if (!counted_wait) {
            atomic_fetch_add_explicit(&s->waits, 1, memory_order_relaxed);
            counted_wait = true;
        }
        if (now - started > p->lease_ms + 1000) {
            return rs_error_set(err, RS_ERR_TIMEOUT,
                                "waited %llds for another process to fetch the secret; it did not finish",
                                (long long)((now - started) / 1000));
        }
        sleep_ms(WAIT_STEP_MS);
    }
}

/* The version id a slot holds now, as a hash (0: none, or no clean copy). */
static uint64_t current_version_hash(slot *s)
{
    slot_meta meta;
    if (atomic_load_explicit(&s->generation, memory_order_acquire) == 0 || !read_slot(s, &meta, NULL)) {
        return 0;
    }
    meta.version_id[sizeof(meta.version_id) - 1] = '\0';
    return value_check(meta.version_id, strlen(meta.version_id));
}

/* Whether a forced refresh may run now. Within refresh_min_interval of the last one it may not, with one exception:
 * the copy that failed is not the one the last forced refresh replaced (that refresh, or a later fetch, produced
 * it, and it failed too: during a rotation the secret moves on within seconds), and the adaptive floor has
 * passed. The floor starts at a second and doubles, up to the interval, each time a forced refresh brings back the
 * version it replaced, so credentials that stay wrong cost at most one fetch per interval, host-wide. */
static bool forced_refresh_allowed(slot *s, const rs_shmcache_policy *p, uint64_t failed_generation, int64_t now)
{
    int64_t last = atomic_load_explicit(&s->last_forced_ms, memory_order_acquire);
    if (last == 0 || now - last >= p->refresh_min_interval_ms) {
        return true;
    }
    /* The copy to replace: the caller's, or (a caller that holds none) the slot's own, 0 when it has no value. Only
     * the copy the last forced refresh already replaced waits the whole interval (that refresh failed, or the
     * caller is late); a value that refresh produced, or a secret that was not found then, waits the floor. */
    uint64_t target = failed_generation ? failed_generation : atomic_load_explicit(&s->generation, memory_order_acquire);
    if (target != 0 && atomic_load_explicit(&s->last_forced_for, memory_order_acquire) == target) {
        return false;
    }
    int64_t floor = atomic_load_explicit(&s->forced_floor_ms, memory_order_relaxed);
    int64_t base = p->refresh_min_interval_ms < 1000 ? p->refresh_min_interval_ms : 1000;
    if (now - last >= (floor > 0 ? floor : base)) {
        return true;
    }
    /* Secrets Manager answered about a sibling (AWSPENDING) after our last forced refresh ended: the copy that
     * refresh left may be outdated already (a rotation that finished between the two requests leaves AWSCURRENT
     * refused and AWSPENDING gone). One more fetch; its own end then postdates that answer. Sibling answers are
     * rate-limited themselves (values by their TTL, "not found" by the base backoff, forced ones by this). */
    int64_t done = atomic_load_explicit(&s->last_forced_done_ns, memory_order_acquire);
    return p->sibling_answered_ns != 0 && done != 0 && p->sibling_answered_ns > done;
}

rs_status rs_shmcache_force_refresh(rs_shmcache *c, int slot_index, const rs_shmcache_policy *p,
                                    rs_shmcache_fetch_fn fetch, void *ctx, uint64_t failed_generation,
                                    bool *refreshed, rs_error *err)
{
    slot *s = &c->slots[slot_index];
    *refreshed = false;
    int64_t started = rs_clock_monotonic_ms();
    uint64_t generation_before =
        failed_generation ? failed_generation : atomic_load_explicit(&s->generation, memory_order_acquire);
    for (;;) {
        int64_t now = rs_clock_monotonic_ms();
        if (lease_held(atomic_load_explicit(&s->lease, memory_order_acquire), now)) {
            /* A fetch is in flight (perhaps the forced one that will refuse ours): wait for it. */
            if (now - started > p->lease_ms + 1000) {
                return rs_error_set(err, RS_ERR_TIMEOUT, "waited too long for another process's refresh");
            }
            sleep_ms(WAIT_STEP_MS);
            continue;
        }
        if (atomic_load_explicit(&s->generation, memory_order_acquire) != generation_before) {
            /* A newer value than the caller's is there (published since it was asked, or before: the caller's copy
             * was already outdated): it is the fresh one, no fetch needed. */
            atomic_fetch_add_explicit(&s->forced_refused, 1, memory_order_relaxed);
            *refreshed = true;
            return RS_OK;
        }
        if (!forced_refresh_allowed(s, p, failed_generation, now)) {
            /* Refused. last_forced_ms is claimed only under the lease, so a forced refresh still running
             * shows its lease now: wait for it instead of returning before it publishes. */
            if (lease_held(atomic_load_explicit(&s->lease, memory_order_acquire), now)) {
                continue;
            }
            atomic_fetch_add_explicit(&s->forced_refused, 1, memory_order_relaxed);
            *refreshed = atomic_load_explicit(&s->generation, memory_order_acquire) != generation_before;
            return RS_OK;
        }
        uint64_t token;
        if (!lease_take(s, now, p->lease_ms, &token)) {
            continue;
        }
        if (atomic_load_explicit(&s->generation, memory_order_acquire) != generation_before) {
            lease_release(s, token);
            atomic_fetch_add_explicit(&s->forced_refused, 1, memory_order_relaxed);
            *refreshed = true;
            return RS_OK;
        }
        if (!forced_refresh_allowed(s, p, failed_generation, now)) {
            lease_release(s, token);  /* another forced refresh ran (and failed) meanwhile: refused above */
            continue;
        }
        uint64_t replaced = atomic_load_explicit(&s->generation, memory_order_acquire);
        uint64_t version_before = current_version_hash(s);
        atomic_store_explicit(&s->last_forced_ms, now, memory_order_release);
        atomic_store_explicit(&s->last_forced_for, replaced, memory_order_release);
        atomic_fetch_add_explicit(&s->forced_refreshes, 1, memory_order_relaxed);
        rs_status st = refresh_as_holder(c, s, p, fetch, ctx, token, NULL, NULL, err);
        atomic_store_explicit(&s->last_forced_done_ns, fine_clock_ns(), memory_order_release);
        if (st == RS_ERR_NOT_FOUND) {
            /* An answer, not an outage: the copy it left (AWSPENDING from an earlier rotation) may be replaced again
             * after the floor, not a whole interval: the next rotation brings AWSPENDING back seconds later. */
            atomic_store_explicit(&s->last_forced_for, 0, memory_order_release);
        }
        if (st == RS_OK) {
            /* The same version again: Secrets Manager has nothing newer yet, so wait longer before the next try. */
            int64_t floor = atomic_load_explicit(&s->forced_floor_ms, memory_order_relaxed);
            int64_t base = p->refresh_min_interval_ms < 1000 ? p->refresh_min_interval_ms : 1000;
            int64_t next = base;
            if (version_before != 0 && current_version_hash(s) == version_before) {
                next = floor > 0 ? floor * 2 : base * 2;
                if (next > p->refresh_min_interval_ms) {
                    next = p->refresh_min_interval_ms;
                }
            }
            atomic_store_explicit(&s->forced_floor_ms, next, memory_order_relaxed);
        }
        *refreshed = st == RS_OK;
        return st;
    }
}

bool rs_shmcache_warn_due(rs_shmcache *c, int slot_index, rs_shmcache_warn_kind kind, int64_t interval_ms)
{
    if ((int)kind < 0 || kind >= RS_SHMCACHE_WARN_KINDS) {
        return false;
    }
    _Atomic int64_t *last = &c->slots[slot_index].warned_ms[kind];
    int64_t now = rs_clock_monotonic_ms();
    int64_t seen = atomic_load_explicit(last, memory_order_relaxed);
    /* One process wins the CAS: the others see the new time and stay quiet. */
    return (seen == 0 || now - seen >= interval_ms) &&
           atomic_compare_exchange_strong(last, &seen, now > 0 ? now : 1);
}

void rs_shmcache_count_login_failure(rs_shmcache *c, int slot_index)
{
    atomic_fetch_add_explicit(&c->slots[slot_index].login_failures, 1, memory_order_relaxed);
}

int rs_shmcache_describe_slot(const rs_shmcache *cc, size_t index, rs_shmcache_slot_info *out)
{
    rs_shmcache *c = (rs_shmcache *)cc;
    memset(out, 0, sizeof(*out));
    if (index >= c->slot_count) {
        return -1;
    }
    slot *s = &c->slots[index];
    if (atomic_load_explicit(&s->claim, memory_order_acquire) == 0) {
        return 0;
    }
    out->in_use = true;
    if (atomic_load_explicit(&s->key_hash, memory_order_acquire) != 0) {
        memcpy(out->key, s->key, sizeof(out->key));
        out->key[sizeof(out->key) - 1] = '\0';
    }
    int64_t now = rs_clock_monotonic_ms();
    slot_meta meta;
    memset(&meta, 0, sizeof(meta));
    out->generation = atomic_load_explicit(&s->generation, memory_order_acquire);
    if (out->generation != 0) {
        /* The counters are atomics; the rest is copied only when the seqlock gives a clean copy (a slot
         * being rewritten still shows its generation, not "no value"). */
        out->expires_in_ms = atomic_load_explicit(&s->expires_at_ms, memory_order_acquire) - now;
        int64_t not_after = atomic_load_explicit(&s->not_after_ms, memory_order_acquire);
        out->lifetime_left_ms = not_after ? (not_after > now ? not_after - now : -1) : 0;
        if (read_slot(s, &meta, NULL)) {
            out->fetched_at_unix_ms = meta.fetched_at_unix_ms;
            memcpy(out->version_id, meta.version_id, sizeof(out->version_id));
            memcpy(out->stages, meta.stages, sizeof(out->stages));
            memcpy(out->credential_source, meta.source, sizeof(out->credential_source));
        }
    }
    out->fetches = atomic_load(&s->fetches);
    out->errors = atomic_load(&s->errors);
    out->stale_served = atomic_load(&s->stale_served);
    out->waits = atomic_load(&s->waits);
    out->forced_refreshes = atomic_load(&s->forced_refreshes);
    out->forced_refused = atomic_load(&s->forced_refused);
    out->login_failures = atomic_load(&s->login_failures);
    out->consecutive_failures = atomic_load(&s->consecutive_failures);
    int64_t next = atomic_load(&s->next_attempt_ms);
    out->next_attempt_in_ms = next > now ? next - now : 0;
    uint64_t lease = atomic_load(&s->lease);
    out->lease_pid = lease_held(lease, now) ? (int)(lease & LEASE_PID_MASK) : 0;
    if (out->errors) {
        slot_error e;
        read_error(s, &e);
        out->last_error_status = e.status;
        memcpy(out->last_error_code, e.code, sizeof(out->last_error_code));
        memcpy(out->last_error_message, e.message, sizeof(out->last_error_message));
    }
    return 0;
}
