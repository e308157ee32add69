/* Preloaded ahead of clang's ASan runtime into Debian's PHP (which is not built with sanitizers) by the wrappers of
 * tests/lib/sanitizer. Test harness only, not part of rdssecret. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

/* PHP loads extensions with RTLD_DEEPBIND, which ASan refuses (a deep-bound module would take malloc from libc,
 * behind ASan's back): the flag only orders symbol lookup, so the module behaves the same without it. */
void *dlopen(const char *file, int mode)
{
    static void *(*next)(const char *, int);
    if (!next) {
        next = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
    }
    return next(file, mode & ~RTLD_DEEPBIND);
}

void __lsan_disable(void);
void __lsan_enable(void);

static void check_leaks_in_child(void)
{
    __lsan_enable();
}

/* The runtime is for this PHP process only: the programs it starts (the fake AWS, openssl, curl) must not inherit
 * LD_PRELOAD. A child PHP gets it back from its wrapper, which is PHP_BINARY.
 * In a php-fpm master (its wrapper sets SAN_FPM_MASTER), nothing the master allocates is checked for leaks, in
 * the master or in the workers it forks; what a worker allocates is. php-fpm leaks its own pool configuration:
 * blocks allocated from main() through php-fpm's code only, reported at the master's exit and at the exit of a
 * worker forked after one was killed, the same with no extension loaded (see tests/lib/sanitizer). The master's
 * part of rdssecret, MINIT and MSHUTDOWN, is the same code every CLI process of the phpt lane runs, leak-checked. */
__attribute__((constructor)) static void setup(void)
{
    if (getenv("SAN_FPM_MASTER")) {
        unsetenv("SAN_FPM_MASTER");
        __lsan_disable();
        pthread_atfork(NULL, NULL, check_leaks_in_child);
    }
    unsetenv("LD_PRELOAD");
}
