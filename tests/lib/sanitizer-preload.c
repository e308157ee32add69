/* Preloaded ahead of clang's ASan runtime into Debian's PHP (which is not built with sanitizers) by the wrappers of
 * tests/lib/sanitizer. Test harness only, not part of rdssecret. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

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

static pid_t no_leak_check_pid;

/* The runtime is for this PHP process only: the programs it starts (the fake AWS, openssl, curl) must not inherit
 * LD_PRELOAD. A child PHP gets it back from its wrapper, which is PHP_BINARY. */
__attribute__((constructor)) static void setup(void)
{
    const char *pid = getenv("SAN_NO_LEAK_CHECK_PID");
    if (pid) {
        no_leak_check_pid = (pid_t)atol(pid);
        unsetenv("SAN_NO_LEAK_CHECK_PID");
    }
    unsetenv("LD_PRELOAD");
}

/* LeakSanitizer asks this before its check at exit. The php-fpm wrapper names the master: php-fpm does not free
 * its pool configuration at exit (blocks allocated from main() through php-fpm's own code only, with or without
 * rdssecret loaded; see tests/lib/sanitizer). Its workers, forked from it, are checked. */
int __lsan_is_turned_off(void)
{
    return no_leak_check_pid != 0 && getpid() == no_leak_check_pid;
}
