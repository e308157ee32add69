/* Status names and error records for the C core. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *rs_status_name(rs_status status)
{
    switch (status) {
    case RS_OK: return "ok";
    case RS_ERR_INTERNAL: return "internal";
    case RS_ERR_CONFIG: return "config";
    case RS_ERR_NO_CREDENTIALS: return "no_credentials";
    case RS_ERR_NO_REGION: return "no_region";
    case RS_ERR_CONNECT: return "connect";
    case RS_ERR_TIMEOUT: return "timeout";
    case RS_ERR_TLS: return "tls";
    case RS_ERR_TOO_LARGE: return "too_large";
    case RS_ERR_MALFORMED: return "malformed";
    case RS_ERR_THROTTLED: return "throttled";
    case RS_ERR_SERVICE: return "service";
    case RS_ERR_ACCESS_DENIED: return "access_denied";
    case RS_ERR_AUTH: return "auth";
    case RS_ERR_NOT_FOUND: return "not_found";
    case RS_ERR_INVALID_PARAMETER: return "invalid_parameter";
    case RS_ERR_INVALID_REQUEST: return "invalid_request";
    case RS_ERR_DECRYPTION: return "decryption";
    case RS_ERR_CONFLICT: return "conflict";
    case RS_ERR_REQUEST_FAILED: return "request_failed";
    case RS_ERR_CACHE_FULL: return "cache_full";
    case RS_ERR_STALE_LIMIT: return "stale_limit";
    case RS_ERR_NOT_ALLOWED: return "not_allowed";
    case RS_ERR_UNSUPPORTED: return "unsupported";
    case RS_ERR_DISABLED: return "disabled";
    }
    return "unknown";
}

void rs_error_clear(rs_error *err)
{
    if (err) {
        memset(err, 0, sizeof(*err));
    }
}

rs_status rs_error_set(rs_error *err, rs_status status, const char *fmt, ...)
{
    if (!err) {
        return status;
    }
    /* Callers may pass err->message itself as an argument (to prefix a cause): format into a buffer of our
     * own, since vsnprintf into its own input is undefined. */
    char message[sizeof(err->message)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    memcpy(err->message, message, sizeof(message));
    err->status = status;
    /* Messages may quote text from the network; keep them one printable line. */
    for (char *p = err->message; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            *p = '?';
        }
    }
    return status;
}
