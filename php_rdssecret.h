/* The PHP-facing layer of rdssecret: module entry, version and module globals.
 * Everything that works without the Zend engine lives in src/. */
#ifndef PHP_RDSSECRET_H
#define PHP_RDSSECRET_H

extern zend_module_entry rdssecret_module_entry;
#define phpext_rdssecret_ptr &rdssecret_module_entry

#define PHP_RDSSECRET_VERSION "0.1.0"

ZEND_BEGIN_MODULE_GLOBALS(rdssecret)
    bool enabled; /* rdssecret.enabled */
ZEND_END_MODULE_GLOBALS(rdssecret)

ZEND_EXTERN_MODULE_GLOBALS(rdssecret)
#define RDSSECRET_G(v) ZEND_MODULE_GLOBALS_ACCESSOR(rdssecret, v)

#if defined(ZTS) && defined(COMPILE_DL_RDSSECRET)
ZEND_TSRMLS_CACHE_EXTERN()
#endif

#endif
