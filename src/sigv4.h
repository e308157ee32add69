/* AWS Signature Version 4: header form (Authorization) and presigned query form (RDS IAM tokens). */
#ifndef RS_SIGV4_H
#define RS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "error.h"

typedef struct {
    const char *name;
    const char *value;
} rs_header;

typedef struct {
    const char *method;           /* "GET", "POST" */
    const char *path;             /* exactly as sent on the wire (NULL or "": "/"); the signer encodes it once
                                   * more, so "/a%20b" signs as "/a%2520b" (AWS's double encoding) */
    const char *query;            /* as sent, without '?'; NULL or "" for none; decoded then re-encoded,
                                   * '+' kept as a literal plus */
    const rs_header *headers;     /* every header to sign; must include Host; names any case, may repeat */
    size_t header_count;
    const void *body;
    size_t body_len;
} rs_sigv4_request;

typedef struct {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token;    /* NULL or "" for long-term credentials */
} rs_sigv4_credentials;

typedef struct {
    const char *region;
    const char *service;          /* "secretsmanager", "rds-db", ... */
    time_t timestamp;             /* signing time, UTC seconds */
    bool normalize_path;          /* true for every service but S3 */
} rs_sigv4_scope;

/* The product of signing. Heap strings; free with rs_sigv4_result_free (it wipes them). */
typedef struct {
    char amz_date[17];            /* YYYYMMDDTHHMMSSZ */
    char signature[65];           /* lowercase hex */
    char *canonical_request;
    char *string_to_sign;
    char *authorization;          /* value of the Authorization header */
} rs_sigv4_result;

/* Sign a request in header form. creds->session_token is not used here: the caller puts X-Amz-Date (rs_sigv4_result.amz_date format) and,
 * with temporary credentials, X-Amz-Security-Token among the headers before signing; the signer
 * signs exactly the headers it is given (so the official suite's cases can be checked byte for byte). */
rs_status rs_sigv4_sign(const rs_sigv4_request *req, const rs_sigv4_credentials *creds,
                        const rs_sigv4_scope *scope, rs_sigv4_result *out, rs_error *err);

/* Presigned query form as used by RDS IAM authentication tokens (host includes ":port" when there is one):
 * returns in *out_url (heap) "host[:port]/?<query>&X-Amz-Algorithm=...&X-Amz-Signature=..." with no scheme.
 * `query` holds the request's own parameters (e.g. "Action=connect&DBUser=u"), already encoded or not:
 * every key and value is re-encoded canonically. Only `host` is signed; the payload hash is that of "". */
rs_status rs_sigv4_presign(const char *host, const char *path, const char *query,
                           long expires_seconds, const rs_sigv4_credentials *creds,
                           const rs_sigv4_scope *scope, char **out_url, rs_error *err);

/* An RDS IAM auth token (rds-db, action connect), valid 900 seconds. */
rs_status rs_sigv4_rds_auth_token(const char *host, int port, const char *db_user,
                                  const rs_sigv4_credentials *creds, const char *region,
                                  time_t timestamp, char **out_token, rs_error *err);
/* The same, valid expires_seconds (1 to 900; RDS accepts at most 900). */
rs_status rs_sigv4_rds_auth_token_expiring(const char *host, int port, const char *db_user,
                                           const rs_sigv4_credentials *creds, const char *region, time_t timestamp,
                                           long expires_seconds, char **out_token, rs_error *err);

void rs_sigv4_result_free(rs_sigv4_result *res);

/* Helpers shared with the HTTP layer. */
void rs_sigv4_format_amz_date(time_t t, char out[17]);
/* Lowercase hex SHA-256 of data into out[65]. */
void rs_sha256_hex(const void *data, size_t len, char out[65]);
/* URI-encode per SigV4 (unreserved A-Za-z0-9-_.~ kept); `encode_slash` false keeps '/'.
 * Heap result; NULL when out of memory. */
char *rs_uri_encode(const char *s, size_t len, bool encode_slash);

#endif
