/* Status codes and the error record shared by every subsystem of the C core.
 * An rs_error never holds a secret: messages are built from causes, ids and AWS error text only. */
#ifndef RS_ERROR_H
#define RS_ERROR_H

#include <stddef.h>

/* Stable codes: the PHP layer exposes them as exception codes, so never renumber. */
typedef enum {
    RS_OK = 0,
    RS_ERR_INTERNAL = 1,          /* out of memory, library failure */
    RS_ERR_CONFIG = 2,            /* bad setting: endpoint, region, CA file... */
    RS_ERR_NO_CREDENTIALS = 3,    /* no provider in the chain produced credentials */
    RS_ERR_NO_REGION = 4,
    RS_ERR_CONNECT = 5,           /* DNS, refused, reset, dropped connection */
    RS_ERR_TIMEOUT = 6,
    RS_ERR_TLS = 7,               /* certificate or handshake failure; never retried */
    RS_ERR_TOO_LARGE = 8,         /* response larger than the protocol allows */
    RS_ERR_MALFORMED = 9,         /* response not in the expected shape */
    RS_ERR_THROTTLED = 10,
    RS_ERR_SERVICE = 11,          /* 5xx, InternalServiceError, ServiceUnavailable */
    RS_ERR_ACCESS_DENIED = 12,    /* AccessDenied, and KMS/permissions failures */
    RS_ERR_AUTH = 13,             /* bad signature, unknown key id, expired token, skew */
    RS_ERR_NOT_FOUND = 14,        /* ResourceNotFoundException */
    RS_ERR_INVALID_PARAMETER = 15,
    RS_ERR_INVALID_REQUEST = 16,
    RS_ERR_DECRYPTION = 17,       /* DecryptionFailure (KMS) */
    RS_ERR_CONFLICT = 18,         /* ResourceExistsException, token reused with other data */
    RS_ERR_REQUEST_FAILED = 19,   /* any other AWS error */
    RS_ERR_CACHE_FULL = 20,       /* every shared-memory slot holds another secret */
    RS_ERR_STALE_LIMIT = 21,      /* refreshing failed for longer than max_stale: no value is served */
    RS_ERR_NOT_ALLOWED = 22,      /* a secret id the configuration does not allow */
    RS_ERR_UNSUPPORTED = 23,      /* e.g. a SecretBinary secret where a string is needed */
    RS_ERR_DISABLED = 24,         /* rdssecret.enabled=0 */
} rs_status;

typedef struct {
    rs_status status;
    long http_status;       /* 0 when no HTTP answer was received */
    char aws_code[64];      /* the AWS error code ("ResourceNotFoundException"), or "" */
    char message[512];      /* what went wrong, for people; never holds a secret */
} rs_error;

/* A short stable name for a status ("not_found", "throttled", ...). */
const char *rs_status_name(rs_status status);

/* Clear an error record to RS_OK. */
void rs_error_clear(rs_error *err);

/* Fill an error record; returns status so callers can `return rs_error_set(...)`.
 * Control characters in the formatted text are replaced by '?'. */
rs_status rs_error_set(rs_error *err, rs_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
