/* The part of a cache hit the PHP CLI loop cannot show: the check made by the first call of each request
 * (one coarse clock read from the vDSO and one atomic load of the slot's generation). Times
 * rs_shmcache_is_current(..., rs_clock_monotonic_ms()) on a filled slot; prints ns per check (median of runs).
 * Built and run by bench/cache-hit. usage: hit_check [ITERATIONS] [RUNS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shmcache.h"

static rs_status fetch(void *ctx, rs_secret_value *out, rs_error *err)
{
    (void)ctx;
    (void)err;
    out->secret_string = strdup("{\"password\":\"bench-Pw-0123456789-abcdefghijkl\"}");
    out->secret_string_len = strlen(out->secret_string);
    out->version_id = strdup("00000000-0000-0000-0000-000000000000");
    return RS_OK;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000000;
    int runs = argc > 2 ? atoi(argv[2]) : 7;
    rs_shmcache *c;
    rs_error err;
    if (rs_shmcache_create(16, &c, &err) != RS_OK) {
        return 1;
    }
    int slot = rs_shmcache_slot(c, "bench/db\x1f" "AWSCURRENT", &err);
    static char buf[RS_SHMCACHE_VALUE_MAX + 1];
    rs_shmcache_entry e = {.value = buf};
    bool copied;
    rs_shmcache_policy p = {.ttl_ms = 3600000, .max_stale_ms = 0, .refresh_min_interval_ms = 5000,
                            .lease_ms = 10000, .backoff_base_ms = 1000, .backoff_max_ms = 60000};
    if (rs_shmcache_get(c, slot, &p, fetch, NULL, 0, &e, &copied, &err) != RS_OK) {
        return 1;
    }
    double *ns = calloc((size_t)runs, sizeof(double));
    long hits = 0;
    for (int r = 0; r < runs; r++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long i = 0; i < n; i++) {
            hits += rs_shmcache_is_current(c, slot, e.generation, e.expires_at_ms, rs_clock_monotonic_ms());
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        ns[r] = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)n;
    }
    qsort(ns, (size_t)runs, sizeof(double), cmp);
    printf("{\"ns\": %.2f, \"all_hits\": %s}\n", ns[runs / 2], hits == n * runs ? "true" : "false");
    rs_shmcache_destroy(c);
    free(ns);
    return 0;
}
