/* Secret-holding memory: one anonymous private mapping per allocation, with a small header before it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "secmem.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#define SECMEM_MAGIC UINT64_C(0x72737365636d656d) /* "rssecmem" */

typedef struct {
    uint64_t magic;
    size_t map_size;
    size_t usable;
    uint64_t pad;  /* keeps the payload 32-byte aligned */
} secmem_header;

static bool last_locked;

void *rs_secmem_alloc(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (n > SIZE_MAX - sizeof(secmem_header) - page) {
        return NULL;
    }
    size_t size = (sizeof(secmem_header) + n + page - 1) / page * page;
    void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
        return NULL;
    }
#ifdef MADV_DONTDUMP
    madvise(map, size, MADV_DONTDUMP);
#endif
    last_locked = mlock(map, size) == 0;
    secmem_header *h = map;
    h->magic = SECMEM_MAGIC;
    h->map_size = size;
    h->usable = size - sizeof(secmem_header);
    return h + 1;
}

size_t rs_secmem_size(const void *p)
{
    return p ? ((const secmem_header *)p - 1)->usable : 0;
}

void rs_secmem_free(void *p)
{
    if (!p) {
        return;
    }
    secmem_header *h = (secmem_header *)p - 1;
    if (h->magic != SECMEM_MAGIC) {
        return;  /* not ours: better to leak than to unmap someone else's pages */
    }
    size_t size = h->map_size;
    OPENSSL_cleanse(h, size);
    munlock(h, size);
    munmap(h, size);
}

#define BURN_STACK_BYTES (96 * 1024)  /* deeper than a fetch goes: curl, OpenSSL, cJSON, the parse */

__attribute__((noinline)) void rs_secmem_burn_stack(void)
{
    unsigned char area[BURN_STACK_BYTES];
    OPENSSL_cleanse(area, sizeof(area));
    /* Keep the compiler from treating the area as dead (OPENSSL_cleanse already is an opaque call). */
    __asm__ __volatile__("" : : "r"(area) : "memory");
}

bool rs_secmem_locked(void)
{
    return last_locked;
}
