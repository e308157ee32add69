/* The shared cache across real processes: slots, TTL, single flight, stale-if-error with host-wide
 * backoff, the forced-refresh rate limit, a fetcher killed while holding the lease, a writer killed
 * mid-write (debug hook). Fetches are counted in a second shared mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmcache.h"

typedef struct {
    _Atomic int fetches;
    _Atomic int fail;          /* fetches fail while set */
    _Atomic int delay_ms;
    _Atomic int die_in_fetch;  /* the next fetch kills its process */
    _Atomic int version;
    _Atomic int go;            /* start line for children */
    _Atomic int same_version;  /* fetches answer the version they answered last (Secrets Manager unchanged) */
    _Atomic int lifetime_ms;   /* > 0: values made with a lifetime of their own (IAM tokens) */
    _Atomic int not_found;     /* fetches answer ResourceNotFoundException (AWSPENDING between rotations) */
} shared_counters;

static shared_counters *counters;
static rs_shmcache *cache;
static char *value_buf;

static const rs_shmcache_policy policy = {
    .ttl_ms = 400, .max_stale_ms = 1500, .refresh_min_interval_ms = 1000, .lease_ms = 600,
    .backoff_base_ms = 100, .backoff_max_ms = 200};

static void nap(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A fetch like Secrets Manager's: a value naming its version, 40 KiB long so a torn copy would show. */
static rs_status fake_fetch(void *ctx, rs_secret_value *out, rs_error *err)
{
    (void)ctx;
    atomic_fetch_add(&counters->fetches, 1);
    if (atomic_load(&counters->delay_ms)) {
        nap(atomic_load(&counters->delay_ms));
    }
    if (atomic_exchange(&counters->die_in_fetch, 0)) {
        kill(getpid(), SIGKILL);
    }
    if (atomic_load(&counters->fail)) {
        return rs_error_set(err, RS_ERR_THROTTLED, "Secrets Manager GetSecretValue failed: ThrottlingException");
    }
    if (atomic_load(&counters->not_found)) {
        return rs_error_set(err, RS_ERR_NOT_FOUND, "Secrets Manager GetSecretValue failed: ResourceNotFoundException");
    }
    int version = atomic_load(&counters->same_version) ? atomic_load(&counters->version)
                                                       : atomic_fetch_add(&counters->version, 1) + 1;
    size_t len = 40 * 1024;
    out->secret_string = malloc(len + 1);
    memset(out->secret_string, 'a' + version % 26, len);
    out->secret_string[len] = '\0';
    out->secret_string_len = len;
    out->version_id = malloc(40);
    snprintf(out->version_id, 40, "version-%08d-000000000000000000000", version);
    out->version_stages = calloc(1, sizeof(char *));
    out->version_stages[0] = strdup("AWSCURRENT");
    out->version_stage_count = 1;
    out->lifetime_ms = atomic_load(&counters->lifetime_ms);
    return RS_OK;
}

/* Every byte of a value is the same letter: anything else is a torn copy. */
static void assert_untorn(const rs_shmcache_entry *e)
{
    assert_int_equal(e->value_len, 40 * 1024);
    for (size_t i = 1; i < e->value_len; i++) {
        if (e->value[i] != e->value[0]) {
            fail_msg("torn value at byte %zu", i);
        }
    }
}

static int setup(void **state)
{
    (void)state;
    counters = mmap(NULL, sizeof(*counters), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    memset(counters, 0, sizeof(*counters));
    rs_error err;
    if (rs_shmcache_create(4, &cache, &err) != RS_OK) {
        return -1;
    }
    value_buf = malloc(RS_SHMCACHE_VALUE_MAX + 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rs_shmcache_destroy(cache);
    munmap(counters, sizeof(*counters));
    free(value_buf);
    return 0;
}

static rs_status get(int slot, uint64_t have, rs_shmcache_entry *e, bool *copied, rs_error *err)
{
    memset(e, 0, sizeof(*e));
    e->value = value_buf;
    return rs_shmcache_get(cache, slot, &policy, fake_fetch, NULL, have, e, copied, err);
}

static void slots_are_claimed_once_and_never_evicted(void **state)
{
    (void)state;
    rs_error err;
    int a = rs_shmcache_slot(cache, "db/main|AWSCURRENT", &err);
    assert_true(a >= 0);
    assert_int_equal(rs_shmcache_slot(cache, "db/main|AWSCURRENT", &err), a);
    int b = rs_shmcache_slot(cache, "db/main|AWSPENDING", &err);
    assert_true(b >= 0 && b != a);
    assert_true(rs_shmcache_slot(cache, "c", &err) >= 0);
    assert_true(rs_shmcache_slot(cache, "d", &err) >= 0);
    assert_int_equal(rs_shmcache_slots_used(cache), 4);
    assert_int_equal(rs_shmcache_slot(cache, "e", &err), -1);
    assert_int_equal(err.status, RS_ERR_CACHE_FULL);
    assert_non_null(strstr(err.message, "rdssecret.shm_slots"));
    assert_int_equal(rs_shmcache_slot(cache, "db/main|AWSCURRENT", &err), a);
    assert_true(rs_shmcache_size_bytes(cache) >= 4 * RS_SHMCACHE_VALUE_MAX);
}

static void same_key_raced_by_many_processes_gets_one_slot(void **state)
{
    (void)state;
    rs_shmcache *fresh;
    rs_error err;
    assert_int_equal(rs_shmcache_create(8, &fresh, &err), RS_OK);
    atomic_store(&counters->go, 0);
    pid_t kids[8];
    for (int i = 0; i < 8; i++) {
        if ((kids[i] = fork()) == 0) {
            while (!atomic_load(&counters->go)) {
            }
            int s = rs_shmcache_slot(fresh, "raced", NULL);
            _exit(s == 0 ? 0 : 1);
        }
    }
    atomic_store(&counters->go, 1);
    for (int i = 0; i < 8; i++) {
        int status;
        waitpid(kids[i], &status, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    assert_int_equal(rs_shmcache_slots_used(fresh), 1);
    rs_shmcache_destroy(fresh);
}

static void cold_get_fetches_then_hits_without_copying(void **state)
{
    (void)state;
    rs_error err;
    int s = rs_shmcache_slot(cache, "db/main|AWSCURRENT", &err);
    atomic_store(&counters->fetches, 0);
    rs_shmcache_entry e;
    bool copied;
    assert_int_equal(get(s, 0, &e, &copied, &err), RS_OK);
    assert_true(copied);
    assert_false(e.stale);
    assert_untorn(&e);
    assert_string_equal(e.stages, "AWSCURRENT");
    assert_int_equal(atomic_load(&counters->fetches), 1);
    uint64_t gen = e.generation;
    assert_true(rs_shmcache_is_current(cache, s, gen, e.expires_at_ms, rs_clock_monotonic_ms()));
    assert_int_equal(get(s, gen, &e, &copied, &err), RS_OK);
    assert_false(copied);
    assert_int_equal(atomic_load(&counters->fetches), 1);
    /* After the TTL: one new fetch, a new generation, and the old copy is no longer current. */
    nap(450);
    assert_false(rs_shmcache_is_current(cache, s, gen, e.expires_at_ms, rs_clock_monotonic_ms()));
    assert_int_equal(get(s, gen, &e, &copied, &err), RS_OK);
    assert_true(copied);
    assert_true(e.generation > gen);
    assert_int_equal(atomic_load(&counters->fetches), 2);
    rs_shmcache_slot_info info;
    assert_int_equal(rs_shmcache_describe_slot(cache, (size_t)s, &info), 0);
    assert_true(info.in_use);
    assert_string_equal(info.key, "db/main|AWSCURRENT");
    assert_int_equal(info.fetches, 2);
    assert_int_equal(info.generation, e.generation);
}

static void eight_processes_on_a_cold_slot_cause_one_fetch(void **state)
{
    (void)state;
    rs_error err;
    int s = rs_shmcache_slot(cache, "db/main|AWSPENDING", &err);
    atomic_store(&counters->fetches, 0);
    atomic_store(&counters->delay_ms, 200);
    atomic_store(&counters->go, 0);
    pid_t kids[8];
    for (int i = 0; i < 8; i++) {
        if ((kids[i] = fork()) == 0) {
            while (!atomic_load(&counters->go)) {
            }
            rs_shmcache_entry e;
            bool copied;
            rs_status st = get(s, 0, &e, &copied, NULL);
            bool ok = st == RS_OK && copied && e.value_len == 40 * 1024 && !e.stale;
            _exit(ok ? 0 : 1);
        }
    }
    atomic_store(&counters->go, 1);
    for (int i = 0; i < 8; i++) {
        int status;
        waitpid(kids[i], &status, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    atomic_store(&counters->delay_ms, 0);
    assert_int_equal(atomic_load(&counters->fetches), 1);
}

static void expired_slot_is_refreshed_by_one_while_others_serve_stale(void **state)
{
    (void)state;
    rs_error err;
    int s = rs_shmcache_slot(cache, "db/main|AWSCURRENT", &err);
    rs_shmcache_entry e;
    bool copied;
    assert_int_equal(get(s, 0, &e, &copied, &err), RS_OK);
    uint64_t gen = e.generation;
    nap(450);
    atomic_store(&counters->fetches, 0);
    atomic_store(&counters->delay_ms, 300);
    pid_t fetcher = fork();
    if (fetcher == 0) {
        rs_shmcache_entry mine;
        bool c;
        _exit(get(s, gen, &mine, &c, NULL) == RS_OK && !mine.stale ? 0 : 1);
    }
    nap(100);
    /* While the child fetches, this process is served its stale copy at once, without a fetch. */
    assert_int_equal(get(s, gen, &e, &copied, &err), RS_OK);
    assert_true(e.stale);
    assert_false(copied);
    int status;
    waitpid(fetcher, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    atomic_store(&counters->delay_ms, 0);
    assert_int_equal(atomic_load(&counters->fetches), 1);
    assert_int_equal(get(s, gen, &e, &copied, &err), RS_OK);
    assert_true(copied);
    assert_false(e.stale);
    assert_true(e.generation > gen);
}

static void failing_aws_serves_last_value_until_max_stale_with_backoff(void **state)
{
    (void)state;
    rs_error err;
    int s = rs_shmcache_slot(cache, "c", &err);
    rs_shmcache_entry e;
    bool copied;
    assert_int_equal(get(s, 0, &e, &copied, &err), RS_OK);
    uint64_t gen = e.generation;
    atomic_store(&counters->fail, 1);
    atomic_store(&counters->fetches, 0);
    nap(450);
    /* Many calls over ~1 s of failures: all served stale; attempts limited by the backoff (100-200 ms). */
    int served = 0;
    int64_t start = rs_clock_monotonic_ms();
    while (rs_clock_monotonic_ms() - start < 1000) {
        assert_int_equal(get(s, gen, &e, &copied, &err), RS_OK);
        assert_true(e.stale);
        served++;
        nap(10);
    }
    int attempts = atomic_load(&counters->fetches);
    assert_true(served > 20);
    assert_true(attempts >= 2);
    assert_true(attempts <= 15);  /* at least 50 ms between attempts, whatever the call rate */
    /* Past max_stale: the error, naming the cause. */
    nap(700);
    rs_status st = get(s, gen, &e, &copied, &err);
    assert_int_equal(st, RS_ERR_STALE_LIMIT);
    assert_non_null(strstr(err.message, "max_stale"));
    assert_non_null(strstr(err.message, "ThrottlingException"));
    rs_shmcache_slot_info info;
    rs_shmcache_describe_slot(cache, (size_t)s, &info);
    assert_true(info.errors >= 2);
    assert_int_equal(info.last_error_status, RS_ERR_THROTTLED);
    assert_true(info.stale_served >= 20);
    /* Recovery once AWS answers again (after the current backoff). */
    atomic_store(&counters->fail, 0);
    nap(250);
    assert_int_equal(get(s, gen, &e, &copied, &err), RS_OK);
    assert_false(e.stale);
    assert_true(e.generation > gen);
    rs_shmcache_describe_slot(cache, (size_t)s, &info);
    assert_int_equal(info.consecutive_failures, 0);
}

static void cold_slot_failure_is_reported_and_backs_off(void **state)
{
    (void)state;
    rs_shmcache *fresh;
    rs_error err;
    assert_int_equal(rs_shmcache_create(2, &fresh, &err), RS_OK);
    int s = rs_shmcache_slot(fresh, "cold", &err);
    atomic_store(&counters->fail, 1);
    atomic_store(&counters->fetches, 0);
    rs_shmcache_entry e = {.value = value_buf};
    bool copied;
    assert_int_equal(rs_shmcache_get(fresh, s, &policy, fake_fetch, NULL, 0, &e, &copied, &err), RS_ERR_THROTTLED);
    /* Within the backoff, the same error again without a fetch. */
    assert_int_equal(rs_shmcache_get(fresh, s, &policy, fake_fetch, NULL, 0, &e, &copied, &err), RS_ERR_THROTTLED);
    assert_non_null(strstr(err.message, "ThrottlingException"));
    assert_int_equal(atomic_load(&counters->fetches), 1);
    atomic_store(&counters->fail, 0);
    rs_shmcache_destroy(fresh);
}

static void eight_forced_refreshes_at_once_cause_one_fetch(void **state)
{
    (void)state;
    rs_error err;
    int s = rs_shmcache_slot(cache, "d", &err);
    rs_shmcache_entry e;
    bool copied;
    assert_int_equal(get(s, 0, &e, &copied, &err), RS_OK);
    uint64_t gen = e.generation;
    nap(1100);  /* clear of any earlier forced refresh */
    atomic_store(&counters->fetches, 0);
    atomic_store(&counters->delay_ms, 100);
    atomic_store(&counters->go, 0);
    pid_t kids[8];
    for (int i = 0; i < 8; i++) {
        if ((kids[i] = fork()) == 0) {
            while (!atomic_load(&counters->go)) {
            }
            bool refreshed;
            rs_status st = rs_shmcache_force_refresh(cache, s, &policy, fake_fetch, NULL, 0, &refreshed, NULL);
            _exit(st == RS_OK ? 0 : 1);
        }
    }
    atomic_store(&counters->go, 1);
    for (int i = 0; i < 8; i++) {
        int status;
        waitpid(kids[i], &status, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    atomic_store(&counters->delay_ms, 0);
    assert_int_equal(atomic_load(&counters->fetches), 1);
    assert_int_equal(get(s, gen, &e, &copied, &err), RS_OK);
    assert_true(e.generation > gen);
    /* Right after, a forced refresh is refused by the rate limit. */
    bool refreshed = true;
    assert_int_equal(rs_shmcache_force_refresh(cache, s, &policy, fake_fetch, NULL, 0, &refreshed, &err), RS_OK);
    assert_false(refreshed);
    assert_int_equal(atomic_load(&counters->fetches), 1);
}

static void fetcher_killed_holding_the_lease_is_replaced_after_the_lease(void **state)
{
    (void)state;
    rs_shmcache *fresh;
    rs_error err;
    assert_int_equal(rs_shmcache_create(2, &fresh, &err), RS_OK);
    int s = rs_shmcache_slot(fresh, "killed", &err);
    atomic_store(&counters->fetches, 0);
    atomic_store(&counters->die_in_fetch, 1);
    pid_t kid = fork();
    if (kid == 0) {
        rs_shmcache_entry e = {.value = value_buf};
        bool copied;
        rs_shmcache_get(fresh, s, &policy, fake_fetch, NULL, 0, &e, &copied, NULL);
        _exit(0);  /* not reached: the fetch kills us */
    }
    int status;
    waitpid(kid, &status, 0);
    assert_true(WIFSIGNALED(status));
    rs_shmcache_slot_info info;
    rs_shmcache_describe_slot(fresh, (size_t)s, &info);
    assert_int_equal(info.lease_pid, kid & 0x3FFFFF);  /* the dead process still holds the lease */
    /* A cold reader waits for the lease to lapse, then fetches itself. */
    rs_shmcache_entry e = {.value = value_buf};
    bool copied;
    assert_int_equal(rs_shmcache_get(fresh, s, &policy, fake_fetch, NULL, 0, &e, &copied, &err), RS_OK);
    assert_untorn(&e);
    assert_int_equal(atomic_load(&counters->fetches), 2);
    rs_shmcache_describe_slot(fresh, (size_t)s, &info);
    assert_int_equal(info.waits, 1);
    assert_int_equal(info.lease_pid, 0);
    rs_shmcache_destroy(fresh);
}

static void writer_killed_mid_write_never_yields_a_torn_value(void **state)
{
    (void)state;
#ifdef RDSSECRET_DEBUG
    rs_shmcache *fresh;
    rs_error err;
    assert_int_equal(rs_shmcache_create(2, &fresh, &err), RS_OK);
    int s = rs_shmcache_slot(fresh, "torn", &err);
    rs_shmcache_entry e = {.value = value_buf};
    bool copied;
    assert_int_equal(rs_shmcache_get(fresh, s, &policy, fake_fetch, NULL, 0, &e, &copied, &err), RS_OK);
    uint64_t gen = e.generation;
    char first = e.value[0];
    nap(450);
    pid_t kid = fork();
    if (kid == 0) {
        rs_shmcache_debug_kill_mid_write = 1;
        rs_shmcache_entry mine = {.value = value_buf};
        bool c;
        rs_shmcache_get(fresh, s, &policy, fake_fetch, NULL, gen, &mine, &c, NULL);
        _exit(0);
    }
    int status;
    waitpid(kid, &status, 0);
    assert_true(WIFSIGNALED(status));
    /* A process with the old copy keeps serving it (stale, no copy made). */
    assert_int_equal(rs_shmcache_get(fresh, s, &policy, fake_fetch, NULL, gen, &e, &copied, &err), RS_OK);
    assert_false(copied);
    assert_true(e.stale);
    /* A cold reader never sees the half-written bytes: after the lease lapses it gets a whole new value. */
    rs_shmcache_entry cold = {.value = value_buf};
    assert_int_equal(rs_shmcache_get(fresh, s, &policy, fake_fetch, NULL, 0, &cold, &copied, &err), RS_OK);
    assert_true(copied);
    assert_untorn(&cold);
    assert_true(cold.value[0] != first);
    assert_true(cold.generation > gen);
    rs_shmcache_destroy(fresh);
#else
    skip();
#endif
}


/* Regression: a refused forced refresh must not return before the winning one has published, or the caller
 * re-reads the old password right after asking for a new one (seen under php-fpm with more workers than cores). */
static void refused_forced_refresh_never_returns_before_the_winner_publishes(void **state)
{
    (void)state;
    const rs_shmcache_policy p = {.ttl_ms = 600000, .max_stale_ms = 600000, .refresh_min_interval_ms = 200,
                                  .lease_ms = 5000, .backoff_base_ms = 100, .backoff_max_ms = 1000};
    rs_shmcache *fresh;
    rs_error err;
    assert_int_equal(rs_shmcache_create(1, &fresh, &err), RS_OK);
    int s = rs_shmcache_slot(fresh, "raced-refresh", &err);
    rs_shmcache_entry e = {.value = value_buf};
    bool copied;
    assert_int_equal(rs_shmcache_get(fresh, s, &p, fake_fetch, NULL, 0, &e, &copied, &err), RS_OK);
    atomic_store(&counters->delay_ms, 50);
    _Atomic int *stale_reads = (_Atomic int *)&counters->fail;  /* reused as a shared counter here */
    int bad_rounds = 0;
    for (int round = 0; round < 20; round++) {
        nap(250);  /* past refresh_min_interval: exactly one forced refresh may run this round */
        uint64_t before = e.generation;
        atomic_store(&counters->go, 0);
        atomic_store(stale_reads, 0);
        pid_t kids[16];
        for (int i = 0; i < 16; i++) {
            if ((kids[i] = fork()) == 0) {
                while (!atomic_load(&counters->go)) {
                }
                bool refreshed = false;
                if (rs_shmcache_force_refresh(fresh, s, &p, fake_fetch, NULL, 0, &refreshed, NULL) != RS_OK) {
                    _exit(3);
                }
                rs_shmcache_entry mine = {.value = malloc(RS_SHMCACHE_VALUE_MAX + 1)};
                bool cp;
                if (rs_shmcache_get(fresh, s, &p, fake_fetch, NULL, before, &mine, &cp, NULL) != RS_OK) {
                    _exit(3);
                }
                if (mine.generation == before) {
                    atomic_fetch_add(stale_reads, 1);
                }
                _exit(0);
            }
        }
        atomic_store(&counters->go, 1);
        for (int i = 0; i < 16; i++) {
            int status;
            waitpid(kids[i], &status, 0);
            assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        bad_rounds += atomic_load(stale_reads) > 0;
        assert_int_equal(rs_shmcache_get(fresh, s, &p, fake_fetch, NULL, 0, &e, &copied, &err), RS_OK);
        assert_true(e.generation > before);
    }
    atomic_store(stale_reads, 0);
    atomic_store(&counters->delay_ms, 0);
    assert_int_equal(bad_rounds, 0);
    rs_shmcache_destroy(fresh);
}

/* Regression: after a writer died mid-write and AWS then fails, a process holding an intact copy must get it
 * served as stale within max_stale, not a STALE_LIMIT measured from the clock's origin. */
static void intact_copy_is_served_stale_after_a_torn_write_and_an_outage(void **state)
{
    (void)state;
#ifdef RDSSECRET_DEBUG
    const rs_shmcache_policy p = {.ttl_ms = 1500, .max_stale_ms = 60000, .refresh_min_interval_ms = 0,
                                  .lease_ms = 300, .backoff_base_ms = 100, .backoff_max_ms = 200};
    rs_shmcache *fresh;
    rs_error err;
    assert_int_equal(rs_shmcache_create(1, &fresh, &err), RS_OK);
    int s = rs_shmcache_slot(fresh, "torn-then-outage", &err);
    rs_shmcache_entry mine = {.value = value_buf};
    bool copied;
    assert_int_equal(rs_shmcache_get(fresh, s, &p, fake_fetch, NULL, 0, &mine, &copied, &err), RS_OK);
    uint64_t generation = mine.generation;
    pid_t kid = fork();
    if (kid == 0) {
        rs_shmcache_debug_kill_mid_write = 1;
        bool refreshed;
        rs_shmcache_force_refresh(fresh, s, &p, fake_fetch, NULL, 0, &refreshed, NULL);
        _exit(0);
    }
    int status;
    waitpid(kid, &status, 0);
    assert_true(WIFSIGNALED(status));
    atomic_store(&counters->fail, 1);
    nap(400);
    /* A process with no copy finds the slot torn and tries to fetch: that fails, it has nothing to serve. */
    char *other = malloc(RS_SHMCACHE_VALUE_MAX + 1);
    rs_shmcache_entry cold = {.value = other};
    assert_int_not_equal(rs_shmcache_get(fresh, s, &p, fake_fetch, NULL, 0, &cold, &copied, &err), RS_OK);
    free(other);
    /* Ours, with an intact copy, runs past its TTL while AWS still fails: served stale. */
    nap(1500);
    rs_shmcache_entry again = {.value = value_buf};
    assert_int_equal(rs_shmcache_get(fresh, s, &p, fake_fetch, NULL, generation, &again, &copied, &err), RS_OK);
    assert_true(again.stale);
    assert_false(copied);
    atomic_store(&counters->fail, 0);
    rs_shmcache_destroy(fresh);
#else
    skip();
#endif
}

/* A late writer's bytes landing after a newer value was published cannot be seen through the seqlock: the
 * value hash must catch them, and the slot must be rewritten rather than served torn. */
static void bytes_changed_after_publishing_are_never_served(void **state)
{
    (void)state;
#ifdef RDSSECRET_DEBUG
    rs_shmcache *fresh;
    rs_error err;
    assert_int_equal(rs_shmcache_create(1, &fresh, &err), RS_OK);
    int s = rs_shmcache_slot(fresh, "late-writer", &err);
    atomic_store(&counters->fetches, 0);
    rs_shmcache_debug_corrupt_after_write = 1;
    rs_shmcache_entry e = {.value = value_buf};
    bool copied;
    /* The fetching process delivers from the slot too: it must not get the flipped byte. */
    assert_int_equal(rs_shmcache_get(fresh, s, &policy, fake_fetch, NULL, 0, &e, &copied, &err), RS_OK);
    assert_untorn(&e);
    /* A cold reader: no torn copy, and the slot was rewritten by a second fetch. */
    char *other = malloc(RS_SHMCACHE_VALUE_MAX + 1);
    rs_shmcache_entry cold = {.value = other};
    assert_int_equal(rs_shmcache_get(fresh, s, &policy, fake_fetch, NULL, 0, &cold, &copied, &err), RS_OK);
    assert_true(copied);
    assert_untorn(&cold);
    assert_int_equal(atomic_load(&counters->fetches), 2);
    free(other);
    rs_shmcache_destroy(fresh);
#else
    skip();
#endif
}

/* Regression: a fetch that fails slowly must not let its own caller be served a value that went past
 * max_stale while the fetch ran. */
static void slow_failing_fetch_does_not_stretch_max_stale(void **state)
{
    (void)state;
    const rs_shmcache_policy p = {.ttl_ms = 200, .max_stale_ms = 300, .refresh_min_interval_ms = 0,
                                  .lease_ms = 5000, .backoff_base_ms = 100, .backoff_max_ms = 200};
    rs_shmcache *fresh;
    rs_error err;
    assert_int_equal(rs_shmcache_create(1, &fresh, &err), RS_OK);
    int s = rs_shmcache_slot(fresh, "slow-failure", &err);
    rs_shmcache_entry e = {.value = value_buf};
    bool copied;
    assert_int_equal(rs_shmcache_get(fresh, s, &p, fake_fetch, NULL, 0, &e, &copied, &err), RS_OK);
    uint64_t generation = e.generation;
    nap(250);  /* expired, well within max_stale */
    atomic_store(&counters->fail, 1);
    atomic_store(&counters->delay_ms, 600);  /* the failing fetch ends past expiry + max_stale */
    assert_int_equal(rs_shmcache_get(fresh, s, &p, fake_fetch, NULL, generation, &e, &copied, &err),
                     RS_ERR_STALE_LIMIT);
    atomic_store(&counters->fail, 0);
    atomic_store(&counters->delay_ms, 0);
    rs_shmcache_destroy(fresh);
}

/* Regression: a process killed between claiming a slot and writing its key lost that slot for good, and every
 * later lookup of the key spun 10,000 sched_yield() calls before claiming another one. Now the dead claimer is
 * seen at once and its slot reused. */
static void claimer_killed_mid_claim_loses_no_slot(void **state)
{
    (void)state;
#ifdef RDSSECRET_DEBUG
    rs_shmcache *fresh;
    rs_error err;
    assert_int_equal(rs_shmcache_create(2, &fresh, &err), RS_OK);
    pid_t kid = fork();
    if (kid == 0) {
        rs_shmcache_debug_kill_mid_claim = 1;
        rs_shmcache_slot(fresh, "db/main|AWSCURRENT", NULL);
        _exit(0);  /* not reached */
    }
    int status;
    waitpid(kid, &status, 0);
    assert_true(WIFSIGNALED(status));
    rs_shmcache_slot_info info;
    rs_shmcache_describe_slot(fresh, 0, &info);
    assert_true(info.in_use);          /* claimed, key never written */
    assert_string_equal(info.key, "");
    assert_int_equal(rs_shmcache_slot(fresh, "db/main|AWSCURRENT", &err), 0);   /* the same slot, taken over */
    assert_int_equal(rs_shmcache_slot(fresh, "db/main|AWSPENDING", &err), 1);   /* and the table is not short */
    assert_int_equal(rs_shmcache_slots_used(fresh), 2);
    rs_shmcache_describe_slot(fresh, 0, &info);
    assert_string_equal(info.key, "db/main|AWSCURRENT");
    rs_shmcache_destroy(fresh);
#else
    skip();
#endif
}

/* Regression: generations counted per slot, so two writers that both outlived their leases (or two slots) could
 * publish the same number for different values, and a copy would be taken for current when it was not. */
static void generations_are_unique_across_slots_and_writes(void **state)
{
    (void)state;
    rs_shmcache *fresh;
    rs_error err;
    assert_int_equal(rs_shmcache_create(2, &fresh, &err), RS_OK);
    int a = rs_shmcache_slot(fresh, "a", &err), b = rs_shmcache_slot(fresh, "b", &err);
    rs_shmcache_entry ea = {.value = value_buf}, eb = {.value = value_buf};
    bool copied, refreshed;
    assert_int_equal(rs_shmcache_get(fresh, a, &policy, fake_fetch, NULL, 0, &ea, &copied, &err), RS_OK);
    assert_int_equal(rs_shmcache_get(fresh, b, &policy, fake_fetch, NULL, 0, &eb, &copied, &err), RS_OK);
    assert_int_not_equal(ea.generation, eb.generation);
    uint64_t first = ea.generation;
    nap(1100);  /* past refresh_min_interval */
    assert_int_equal(rs_shmcache_force_refresh(fresh, a, &policy, fake_fetch, NULL, 0, &refreshed, &err), RS_OK);
    assert_true(refreshed);
    assert_int_equal(rs_shmcache_get(fresh, a, &policy, fake_fetch, NULL, 0, &ea, &copied, &err), RS_OK);
    assert_true(ea.generation > eb.generation && ea.generation != first);
    rs_shmcache_destroy(fresh);
}

static void last_free_slots_are_kept_for_those_allowed_them(void **state)
{
    (void)state;
    rs_shmcache *fresh;
    rs_error err;
    assert_int_equal(rs_shmcache_create(4, &fresh, &err), RS_OK);
    assert_int_equal(rs_shmcache_slot_reserving(fresh, "extra-1", 2, &err), 0);
    assert_int_equal(rs_shmcache_slot_reserving(fresh, "extra-2", 2, &err), 1);
    assert_int_equal(rs_shmcache_slot_reserving(fresh, "extra-3", 2, &err), -1);  /* 2 free: kept */
    assert_int_equal(err.status, RS_ERR_CACHE_FULL);
    assert_int_equal(rs_shmcache_slot_reserving(fresh, "extra-1", 2, &err), 0);   /* known keys are found */
    assert_int_equal(rs_shmcache_slot(fresh, "default-a", &err), 2);
    assert_int_equal(rs_shmcache_slot(fresh, "default-b", &err), 3);
    assert_int_equal(rs_shmcache_slot(fresh, "default-c", &err), -1);
    rs_shmcache_destroy(fresh);
}

/* The per-process fallback for keys that find no shared slot: the same protocol, in private memory. */
static void private_cache_is_not_shared_with_children(void **state)
{
    (void)state;
    rs_shmcache *mine;
    rs_error err;
    assert_int_equal(rs_shmcache_create_private(2, &mine, &err), RS_OK);
    int s = rs_shmcache_slot(mine, "overflow", &err);
    assert_int_equal(s, 0);
    atomic_store(&counters->fetches, 0);
    pid_t kid = fork();
    if (kid == 0) {
        rs_shmcache_entry e = {.value = value_buf};
        bool copied;
        _exit(rs_shmcache_get(mine, s, &policy, fake_fetch, NULL, 0, &e, &copied, NULL) == RS_OK ? 0 : 1);
    }
    int status;
    waitpid(kid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    rs_shmcache_slot_info info;
    rs_shmcache_describe_slot(mine, 0, &info);
    assert_int_equal(info.generation, 0);   /* the child's value stayed in the child */
    rs_shmcache_entry e = {.value = value_buf};
    bool copied;
    assert_int_equal(rs_shmcache_get(mine, s, &policy, fake_fetch, NULL, 0, &e, &copied, &err), RS_OK);
    assert_int_equal(atomic_load(&counters->fetches), 2);
    rs_shmcache_destroy(mine);
}

/* The refresh after a refused database login, during rotations close together (regression: rotations 6 s apart
 * failed pages, because a copy that a forced refresh had just produced, and that failed too, could not be replaced
 * for the whole refresh_min_interval). */
static void forced_refresh_follows_a_rotation_and_still_limits_a_flood(void **state)
{
    (void)state;
    const rs_shmcache_policy p = {.ttl_ms = 600000, .max_stale_ms = 600000, .refresh_min_interval_ms = 5000,
                                  .lease_ms = 5000, .backoff_base_ms = 100, .backoff_max_ms = 1000};
    rs_shmcache *fresh;
    rs_error err;
    assert_int_equal(rs_shmcache_create(1, &fresh, &err), RS_OK);
    int s = rs_shmcache_slot(fresh, "rotating", &err);
    rs_shmcache_entry e = {.value = value_buf};
    bool copied, refreshed;
    atomic_store(&counters->fetches, 0);
    atomic_store(&counters->same_version, 0);
    assert_int_equal(rs_shmcache_get(fresh, s, &p, fake_fetch, NULL, 0, &e, &copied, &err), RS_OK);
    uint64_t g0 = e.generation;

    /* The database refused g0: one fetch; asking again with g0 finds the newer copy without a request. */
    assert_int_equal(rs_shmcache_force_refresh(fresh, s, &p, fake_fetch, NULL, g0, &refreshed, &err), RS_OK);
    assert_true(refreshed);
    assert_int_equal(atomic_load(&counters->fetches), 2);
    assert_int_equal(rs_shmcache_force_refresh(fresh, s, &p, fake_fetch, NULL, g0, &refreshed, &err), RS_OK);
    assert_true(refreshed);
    assert_int_equal(atomic_load(&counters->fetches), 2);
    assert_int_equal(rs_shmcache_get(fresh, s, &p, fake_fetch, NULL, 0, &e, &copied, &err), RS_OK);
    uint64_t g1 = e.generation;
    assert_true(g1 != g0);

    /* g1 (what the refresh produced) is refused too, at once: not yet (the floor is a second) ... */
    assert_int_equal(rs_shmcache_force_refresh(fresh, s, &p, fake_fetch, NULL, g1, &refreshed, &err), RS_OK);
    assert_false(refreshed);
    assert_int_equal(atomic_load(&counters->fetches), 2);
    /* ... but after it, well within refresh_min_interval, it is replaced: the rotation moved on. */
    nap(1200);
    assert_int_equal(rs_shmcache_force_refresh(fresh, s, &p, fake_fetch, NULL, g1, &refreshed, &err), RS_OK);
    assert_true(refreshed);
    assert_int_equal(atomic_load(&counters->fetches), 3);

    /* Secrets Manager keeps answering the same version (wrong credentials for good): the floor doubles, so a
     * copy that keeps failing costs ever fewer fetches, at most one per refresh_min_interval in the end. */
    atomic_store(&counters->same_version, 1);
    assert_int_equal(rs_shmcache_get(fresh, s, &p, fake_fetch, NULL, 0, &e, &copied, &err), RS_OK);
    nap(1200);
    assert_int_equal(rs_shmcache_force_refresh(fresh, s, &p, fake_fetch, NULL, e.generation, &refreshed, &err),
                     RS_OK);
    assert_true(refreshed);
    assert_int_equal(atomic_load(&counters->fetches), 4);  /* the same version came back: floor now 2 s */
    assert_int_equal(rs_shmcache_get(fresh, s, &p, fake_fetch, NULL, 0, &e, &copied, &err), RS_OK);
    nap(1200);
    assert_int_equal(rs_shmcache_force_refresh(fresh, s, &p, fake_fetch, NULL, e.generation, &refreshed, &err),
                     RS_OK);
    assert_false(refreshed);
    assert_int_equal(atomic_load(&counters->fetches), 4);

    /* Eight processes refused with the same copy at once: one fetch. */
    atomic_store(&counters->same_version, 0);
    nap(1000);
    uint64_t failed = e.generation;
    atomic_store(&counters->go, 0);
    pid_t kids[8];
    for (int i = 0; i < 8; i++) {
        if ((kids[i] = fork()) == 0) {
            while (!atomic_load(&counters->go)) {
            }
            bool r = false;
            rs_status st = rs_shmcache_force_refresh(fresh, s, &p, fake_fetch, NULL, failed, &r, NULL);
            _exit(st == RS_OK && r ? 0 : 1);
        }
    }
    atomic_store(&counters->go, 1);
    for (int i = 0; i < 8; i++) {
        int status;
        waitpid(kids[i], &status, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    assert_int_equal(atomic_load(&counters->fetches), 5);
    rs_shmcache_destroy(fresh);
}

static void warnings_are_rate_limited_host_wide(void **state)
{
    (void)state;
    rs_shmcache *fresh;
    rs_error err;
    assert_int_equal(rs_shmcache_create(1, &fresh, &err), RS_OK);
    int s = rs_shmcache_slot(fresh, "warned", &err);
    assert_true(rs_shmcache_warn_due(fresh, s, RS_SHMCACHE_WARN_STALE, 60000));
    assert_false(rs_shmcache_warn_due(fresh, s, RS_SHMCACHE_WARN_STALE, 60000));
    assert_true(rs_shmcache_warn_due(fresh, s, RS_SHMCACHE_WARN_LOGIN_FAILED, 60000));  /* kinds apart */
    pid_t kid = fork();
    if (kid == 0) {
        _exit(rs_shmcache_warn_due(fresh, s, RS_SHMCACHE_WARN_STALE, 60000) ? 1 : 0);  /* another process: quiet */
    }
    int status;
    waitpid(kid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(rs_shmcache_warn_due(fresh, s, RS_SHMCACHE_WARN_STALE, 0));
    rs_shmcache_count_login_failure(fresh, s);
    rs_shmcache_slot_info info;
    rs_shmcache_describe_slot(fresh, (size_t)s, &info);
    assert_int_equal(info.login_failures, 1);
    rs_shmcache_destroy(fresh);
}

/* A value with a lifetime of its own (an IAM token): renewed a third of it before its end whatever the TTL, served
 * stale while renewing fails only until a second before its end, never after, whatever max_stale says. */
static void value_with_a_lifetime_is_never_served_past_it(void **state)
{
    (void)state;
    const rs_shmcache_policy p = {.ttl_ms = 600000, .max_stale_ms = 600000, .refresh_min_interval_ms = 0,
                                  .lease_ms = 2000, .backoff_base_ms = 100, .backoff_max_ms = 200};
    rs_shmcache *fresh;
    rs_error err;
    assert_int_equal(rs_shmcache_create(1, &fresh, &err), RS_OK);
    int s = rs_shmcache_slot(fresh, "token", &err);
    atomic_store(&counters->lifetime_ms, 6000);
    atomic_store(&counters->fetches, 0);
    rs_shmcache_entry e = {.value = value_buf};
    bool copied;
    assert_int_equal(rs_shmcache_get(fresh, s, &p, fake_fetch, NULL, 0, &e, &copied, &err), RS_OK);
    rs_shmcache_slot_info info;
    rs_shmcache_describe_slot(fresh, (size_t)s, &info);
    assert_true(info.expires_in_ms <= 4000 && info.expires_in_ms > 3000);     /* renewed at 2/3 of 6 s */
    assert_true(info.lifetime_left_ms <= 5000 && info.lifetime_left_ms > 4000);
    atomic_store(&counters->fail, 1);
    nap(4300);  /* due for renewal, renewal fails: the token still has time, so it is served */
    assert_int_equal(rs_shmcache_get(fresh, s, &p, fake_fetch, NULL, e.generation, &e, &copied, &err), RS_OK);
    assert_true(e.stale);
    nap(1000);  /* within a second of its end: never served, max_stale notwithstanding */
    assert_int_equal(rs_shmcache_get(fresh, s, &p, fake_fetch, NULL, e.generation, &e, &copied, &err),
                     RS_ERR_STALE_LIMIT);
    assert_non_null(strstr(err.message, "lifetime"));
    atomic_store(&counters->fail, 0);
    atomic_store(&counters->lifetime_ms, 0);
    rs_shmcache_destroy(fresh);
}

/* Regression (load test, single-user rotations 3-6 s apart): AWSPENDING is "not found" between rotations; that
 * answer grew a host-wide backoff and the forced refresh of a slot with no value waited the whole interval, so the
 * next rotation's AWSPENDING stayed out of reach and every login failed for seconds. Now "not found" waits the
 * base backoff only, and a slot with no value may be asked again after the floor. */
static void not_found_backs_off_briefly_and_a_slot_without_value_is_asked_again_soon(void **state)
{
    (void)state;
    const rs_shmcache_policy p = {.ttl_ms = 600000, .max_stale_ms = 600000, .refresh_min_interval_ms = 5000,
                                  .lease_ms = 2000, .backoff_base_ms = 100, .backoff_max_ms = 10000};
    rs_shmcache *fresh;
    rs_error err;
    assert_int_equal(rs_shmcache_create(1, &fresh, &err), RS_OK);
    int s = rs_shmcache_slot(fresh, "pending", &err);
    atomic_store(&counters->not_found, 1);
    atomic_store(&counters->fetches, 0);
    rs_shmcache_entry e = {.value = value_buf};
    bool copied, refreshed;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rs_shmcache_get(fresh, s, &p, fake_fetch, NULL, 0, &e, &copied, &err), RS_ERR_NOT_FOUND);
        nap(150);
    }
    rs_shmcache_slot_info info;
    rs_shmcache_describe_slot(fresh, (size_t)s, &info);
    assert_int_equal(info.consecutive_failures, 4);  /* each read fetched again: no doubling backoff */
    /* Forced refreshes of the value-less slot: one now, then one a floor (1 s) later, not an interval (5 s). */
    assert_int_equal(rs_shmcache_force_refresh(fresh, s, &p, fake_fetch, NULL, 0, &refreshed, &err), RS_ERR_NOT_FOUND);
    int fetched = atomic_load(&counters->fetches);
    assert_int_equal(rs_shmcache_force_refresh(fresh, s, &p, fake_fetch, NULL, 0, &refreshed, &err), RS_OK);
    assert_false(refreshed);
    assert_int_equal(atomic_load(&counters->fetches), fetched);
    nap(1100);
    atomic_store(&counters->not_found, 0);  /* the rotation began: AWSPENDING exists */
    assert_int_equal(rs_shmcache_force_refresh(fresh, s, &p, fake_fetch, NULL, 0, &refreshed, &err), RS_OK);
    assert_true(refreshed);
    assert_int_equal(atomic_load(&counters->fetches), fetched + 1);
    rs_shmcache_destroy(fresh);
}

/* Regression (load test, single-user rotations seconds apart, fast pages): a rotation that finished between a
 * worker's forced refresh of AWSCURRENT (the same version: the window was still open) and its AWSPENDING request
 * after it ("not found": closed) left AWSCURRENT behind the floor and AWSPENDING gone, and every login failed for
 * two seconds. The newer answer about AWSPENDING waives the floor, once. */
static void a_newer_answer_about_awspending_waives_the_floor_once(void **state)
{
    (void)state;
    const rs_shmcache_policy p = {.ttl_ms = 600000, .max_stale_ms = 600000, .refresh_min_interval_ms = 5000,
                                  .lease_ms = 2000, .backoff_base_ms = 100, .backoff_max_ms = 10000};
    rs_shmcache *fresh;
    rs_error err;
    assert_int_equal(rs_shmcache_create(2, &fresh, &err), RS_OK);
    int cur = rs_shmcache_slot(fresh, "current", &err);
    int pending = rs_shmcache_slot(fresh, "pending", &err);
    assert_int_equal(rs_shmcache_find(fresh, "pending"), pending);
    assert_int_equal(rs_shmcache_find(fresh, "nothing"), -1);
    assert_int_equal(rs_shmcache_answered_ns(fresh, pending), 0);
    atomic_store(&counters->fetches, 0);
    atomic_store(&counters->not_found, 0);
    atomic_store(&counters->same_version, 0);
    rs_shmcache_entry e = {.value = value_buf};
    bool copied, refreshed;
    assert_int_equal(rs_shmcache_get(fresh, cur, &p, fake_fetch, NULL, 0, &e, &copied, &err), RS_OK);
    /* setSecret: the database refuses the copy; Secrets Manager still has the same AWSCURRENT. */
    atomic_store(&counters->same_version, 1);
    assert_int_equal(rs_shmcache_force_refresh(fresh, cur, &p, fake_fetch, NULL, e.generation, &refreshed, &err),
                     RS_OK);
    assert_true(refreshed);
    assert_int_equal(rs_shmcache_get(fresh, cur, &p, fake_fetch, NULL, 0, &e, &copied, &err), RS_OK);
    uint64_t refetched = e.generation;
    assert_int_equal(atomic_load(&counters->fetches), 2);
    /* finishSecret, then the AWSPENDING request: not found. */
    atomic_store(&counters->same_version, 0);
    atomic_store(&counters->not_found, 1);
    assert_int_equal(rs_shmcache_get(fresh, pending, &p, fake_fetch, NULL, 0, &e, &copied, &err), RS_ERR_NOT_FOUND);
    atomic_store(&counters->not_found, 0);
    assert_int_equal(atomic_load(&counters->fetches), 3);
    /* Without that answer the refetched copy waits the floor ... */
    assert_int_equal(rs_shmcache_force_refresh(fresh, cur, &p, fake_fetch, NULL, refetched, &refreshed, &err), RS_OK);
    assert_false(refreshed);
    assert_int_equal(atomic_load(&counters->fetches), 3);
    /* ... with it, it is replaced at once, by the version the rotation made current ... */
    rs_shmcache_policy told = p;
    told.sibling_answered_ns = rs_shmcache_answered_ns(fresh, pending);
    assert_true(told.sibling_answered_ns > 0);
    assert_int_equal(rs_shmcache_force_refresh(fresh, cur, &told, fake_fetch, NULL, refetched, &refreshed, &err),
                     RS_OK);
    assert_true(refreshed);
    assert_int_equal(atomic_load(&counters->fetches), 4);
    /* ... once: the same answer lets no further refresh through (the floor again). */
    assert_int_equal(rs_shmcache_get(fresh, cur, &p, fake_fetch, NULL, 0, &e, &copied, &err), RS_OK);
    assert_int_equal(rs_shmcache_force_refresh(fresh, cur, &told, fake_fetch, NULL, e.generation, &refreshed, &err),
                     RS_OK);
    assert_false(refreshed);
    assert_int_equal(atomic_load(&counters->fetches), 4);

    /* An AWSPENDING copy left from an earlier rotation, replaced by a forced refresh that found no AWSPENDING: the
     * next rotation (seconds later) may replace it after the floor, not the whole interval (5 s here). */
    nap(150);   /* the "not found" above is remembered for the base backoff */
    assert_int_equal(rs_shmcache_get(fresh, pending, &p, fake_fetch, NULL, 0, &e, &copied, &err), RS_OK);
    uint64_t left = e.generation;
    atomic_store(&counters->not_found, 1);
    assert_int_equal(rs_shmcache_force_refresh(fresh, pending, &p, fake_fetch, NULL, left, &refreshed, &err),
                     RS_ERR_NOT_FOUND);
    atomic_store(&counters->not_found, 0);
    int fetched = atomic_load(&counters->fetches);
    nap(1200);
    assert_int_equal(rs_shmcache_force_refresh(fresh, pending, &p, fake_fetch, NULL, left, &refreshed, &err), RS_OK);
    assert_true(refreshed);
    assert_int_equal(atomic_load(&counters->fetches), fetched + 1);
    rs_shmcache_destroy(fresh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slots_are_claimed_once_and_never_evicted),
        cmocka_unit_test(same_key_raced_by_many_processes_gets_one_slot),
        cmocka_unit_test(cold_get_fetches_then_hits_without_copying),
        cmocka_unit_test(eight_processes_on_a_cold_slot_cause_one_fetch),
        cmocka_unit_test(expired_slot_is_refreshed_by_one_while_others_serve_stale),
        cmocka_unit_test(failing_aws_serves_last_value_until_max_stale_with_backoff),
        cmocka_unit_test(cold_slot_failure_is_reported_and_backs_off),
        cmocka_unit_test(eight_forced_refreshes_at_once_cause_one_fetch),
        cmocka_unit_test(fetcher_killed_holding_the_lease_is_replaced_after_the_lease),
        cmocka_unit_test(writer_killed_mid_write_never_yields_a_torn_value),
        cmocka_unit_test(refused_forced_refresh_never_returns_before_the_winner_publishes),
        cmocka_unit_test(intact_copy_is_served_stale_after_a_torn_write_and_an_outage),
        cmocka_unit_test(bytes_changed_after_publishing_are_never_served),
        cmocka_unit_test(slow_failing_fetch_does_not_stretch_max_stale),
        cmocka_unit_test(claimer_killed_mid_claim_loses_no_slot),
        cmocka_unit_test(generations_are_unique_across_slots_and_writes),
        cmocka_unit_test(last_free_slots_are_kept_for_those_allowed_them),
        cmocka_unit_test(private_cache_is_not_shared_with_children),
        cmocka_unit_test(forced_refresh_follows_a_rotation_and_still_limits_a_flood),
        cmocka_unit_test(warnings_are_rate_limited_host_wide),
        cmocka_unit_test(value_with_a_lifetime_is_never_served_past_it),
        cmocka_unit_test(not_found_backs_off_briefly_and_a_slot_without_value_is_asked_again_soon),
        cmocka_unit_test(a_newer_answer_about_awspending_waives_the_floor_once),
    };
    return cmocka_run_group_tests_name("shmcache", tests, setup, teardown);
}
