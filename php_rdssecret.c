/* rdssecret: the PHP-facing layer (INI, module lifecycle, MINFO). Kept thin: the work is done by the
 * C core in src/, which has no Zend headers and is shared with the rotation function. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "php_ini.h"
#include "ext/standard/info.h"
#include "zend_exceptions.h"
#include "ext/spl/spl_exceptions.h"

#include <cJSON.h>
#include <openssl/crypto.h>

#include "php_rdssecret.h"
#include "rdssecret_arginfo.h"
#include "src/error.h"
#include "src/http.h"

ZEND_DECLARE_MODULE_GLOBALS(rdssecret)

static zend_class_entry *rdssecret_ce_exception;

/* Process-wide, not per thread: set in MINIT, read in MSHUTDOWN, both on the main thread. */
static bool rdssecret_http_ready;

PHP_INI_BEGIN()
    STD_PHP_INI_BOOLEAN("rdssecret.enabled", "1", PHP_INI_SYSTEM, OnUpdateBool,
        enabled, zend_rdssecret_globals, rdssecret_globals)
PHP_INI_END()

static PHP_GINIT_FUNCTION(rdssecret)
{
#if defined(ZTS) && defined(COMPILE_DL_RDSSECRET)
    ZEND_TSRMLS_CACHE_UPDATE();
#endif
    memset(rdssecret_globals, 0, sizeof(*rdssecret_globals));
}

static PHP_MINIT_FUNCTION(rdssecret)
{
    (void)type;
    REGISTER_INI_ENTRIES();

    rdssecret_ce_exception = register_class_RdsSecret_Exception(spl_ce_RuntimeException);

    /* Disabled: loaded but inert, so php.ini can turn it off without removing the extension line. */
    if (!RDSSECRET_G(enabled)) {
        return SUCCESS;
    }

    /* libcurl's global init is not thread-safe: MINIT runs once, before any worker or thread. */
    rs_error err;
    rs_error_clear(&err);
    if (rs_http_global_init(&err) != RS_OK) {
        zend_error(E_CORE_WARNING, "rdssecret: cannot initialize HTTP: %s", err.message);
        return FAILURE;
    }
    rdssecret_http_ready = true;
    return SUCCESS;
}

static PHP_MSHUTDOWN_FUNCTION(rdssecret)
{
    (void)type;
    if (rdssecret_http_ready) {
        rs_http_global_cleanup();
        rdssecret_http_ready = false;
    }
    UNREGISTER_INI_ENTRIES();
    return SUCCESS;
}

static PHP_MINFO_FUNCTION(rdssecret)
{
    php_info_print_table_start();
    php_info_print_table_row(2, "rdssecret support", "enabled");
    php_info_print_table_row(2, "Version", PHP_RDSSECRET_VERSION);
    php_info_print_table_row(2, "libcurl", rs_http_library_version());
    php_info_print_table_row(2, "OpenSSL", OpenSSL_version(OPENSSL_VERSION));
    php_info_print_table_row(2, "cJSON", cJSON_Version());
    php_info_print_table_end();

    DISPLAY_INI_ENTRIES();
}

static const zend_module_dep rdssecret_deps[] = {
    ZEND_MOD_REQUIRED("spl")
    ZEND_MOD_END
};

zend_module_entry rdssecret_module_entry = {
    STANDARD_MODULE_HEADER_EX,
    NULL,
    rdssecret_deps,
    "rdssecret",
    NULL, /* functions: none yet */
    PHP_MINIT(rdssecret),
    PHP_MSHUTDOWN(rdssecret),
    NULL, /* RINIT */
    NULL, /* RSHUTDOWN */
    PHP_MINFO(rdssecret),
    PHP_RDSSECRET_VERSION,
    PHP_MODULE_GLOBALS(rdssecret),
    PHP_GINIT(rdssecret),
    NULL, /* GSHUTDOWN */
    NULL, /* post-deactivate */
    STANDARD_MODULE_PROPERTIES_EX
};

#ifdef COMPILE_DL_RDSSECRET
#ifdef ZTS
ZEND_TSRMLS_CACHE_DEFINE()
#endif
ZEND_GET_MODULE(rdssecret)
#endif
