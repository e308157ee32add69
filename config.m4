dnl Build of the rdssecret extension (phpize, or a php-src tree): finds libcurl, OpenSSL and libcjson
dnl with pkg-config as php-src ext/curl does, and compiles the PHP layer with the C core in src/.

PHP_ARG_ENABLE([rdssecret],
  [whether to enable rdssecret support],
  [AS_HELP_STRING([--enable-rdssecret],
    [Enable rdssecret (database secrets from AWS Secrets Manager)])])

dnl Not an extension of its own, hence the fifth argument "no".
PHP_ARG_ENABLE([rdssecret-debug],
  [whether to enable rdssecret debug and fault-injection hooks],
  [AS_HELP_STRING([--enable-rdssecret-debug],
    [rdssecret: build test hooks (fault injection); never for production])],
  [no],
  [no])

if test "$PHP_RDSSECRET" != "no"; then
  dnl The per-process cache copies and the fetch client are process-wide state; the host-wide cache is made
  dnl for forking servers (php-fpm, Apache prefork). Thread-safe (ZTS) PHP is refused rather than half-supported.
  if test "$PHP_THREAD_SAFETY" = "yes"; then
    AC_MSG_ERROR([rdssecret supports NTS PHP only (php-fpm, Apache prefork, CLI); this PHP is thread-safe (ZTS)])
  fi
  PKG_CHECK_MODULES([CURL], [libcurl >= 7.61.0])
  PHP_EVAL_LIBLINE([$CURL_LIBS], [RDSSECRET_SHARED_LIBADD])
  PHP_EVAL_INCLINE([$CURL_CFLAGS])

  PKG_CHECK_MODULES([OPENSSL], [openssl >= 1.1.1])
  PHP_EVAL_LIBLINE([$OPENSSL_LIBS], [RDSSECRET_SHARED_LIBADD])
  PHP_EVAL_INCLINE([$OPENSSL_CFLAGS])

  PKG_CHECK_MODULES([CJSON], [libcjson])
  PHP_EVAL_LIBLINE([$CJSON_LIBS], [RDSSECRET_SHARED_LIBADD])
  PHP_EVAL_INCLINE([$CJSON_CFLAGS])

  dnl pkg-config may describe a library that does not link (a stale .pc file): check each one.
  PHP_CHECK_LIBRARY([curl], [curl_easy_perform], [],
    [AC_MSG_ERROR([libcurl found by pkg-config does not link; see config.log])],
    [$CURL_LIBS])
  PHP_CHECK_LIBRARY([crypto], [OpenSSL_version], [],
    [AC_MSG_ERROR([OpenSSL libcrypto found by pkg-config does not link; see config.log])],
    [$OPENSSL_LIBS])
  PHP_CHECK_LIBRARY([cjson], [cJSON_Parse], [],
    [AC_MSG_ERROR([libcjson found by pkg-config does not link; see config.log])],
    [$CJSON_LIBS])

  dnl -std stays the compiler's default here because the Zend headers are not promised to build under
  dnl strict C11 everywhere; tests/c/Makefile builds src/ with -std=c11. _GNU_SOURCE matches it.
  dnl Hidden symbols and immediate binding: calls inside the module never go through the dynamic linker's lazy
  dnl resolver, which saves the vector registers (and whatever secret bytes they hold) on the stack.
  RDSSECRET_CFLAGS="-DZEND_ENABLE_STATIC_TSRMLS_CACHE=1 -D_GNU_SOURCE -fvisibility=hidden"
  RDSSECRET_SHARED_LIBADD="$RDSSECRET_SHARED_LIBADD -Wl,-z,now -Wl,-z,relro"
  if test "$PHP_RDSSECRET_DEBUG" != "no"; then
    RDSSECRET_CFLAGS="$RDSSECRET_CFLAGS -DRDSSECRET_DEBUG=1"
  fi

  PHP_NEW_EXTENSION([rdssecret],
    [php_rdssecret.c src/error.c src/secmem.c src/env.c src/sigv4.c src/http.c src/creds.c src/sm.c src/secret.c src/shmcache.c],
    [$ext_shared], [], [$RDSSECRET_CFLAGS])
  PHP_ADD_BUILD_DIR([$ext_builddir/src])
  PHP_ADD_EXTENSION_DEP([rdssecret], [spl])
  PHP_SUBST([RDSSECRET_SHARED_LIBADD])
fi
