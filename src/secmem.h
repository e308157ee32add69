/* Memory for secrets and credentials: its own pages, excluded from core dumps (MADV_DONTDUMP), locked in
 * memory where the process may (no swap), wiped when freed. For the few long-lived buffers that hold a
 * secret (a process's copies of cached values, the credentials, the environment snapshot); each allocation
 * takes whole pages, so it is not for many small objects. */
#ifndef RS_SECMEM_H
#define RS_SECMEM_H

#include <stdbool.h>
#include <stddef.h>

/* n bytes, zero-filled, aligned for any type; NULL when the system refuses. */
void *rs_secmem_alloc(size_t n);
/* Wipe and release; NULL is ignored. */
void rs_secmem_free(void *p);
/* Usable bytes of an allocation (at least what was asked for). */
size_t rs_secmem_size(const void *p);
/* Wipe the stack below the caller: what a fetch and its libraries left in their frames (the dynamic linker, for
 * one, saves the vector registers there, and memcpy/strlen of a secret leave its bytes in them). Call it after
 * handling a secret, from the frame that called into the work. */
void rs_secmem_burn_stack(void);

/* Whether this process could lock its secret pages in memory (the last allocation's mlock result). */
bool rs_secmem_locked(void);

#endif
