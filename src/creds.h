/* AWS credentials and region, found the way the AWS SDKs find them:
 * environment, shared credentials/config files, container endpoint, EC2 instance metadata (IMDSv2). */
#ifndef RS_CREDS_H
#define RS_CREDS_H

#include <stdbool.h>
#include <time.h>

#include "error.h"

/* Fixed-size so the record can be copied, kept in shared memory later, and wiped in one call. */
typedef struct {
    char access_key_id[128];
    char secret_access_key[128];
    char session_token[4096];     /* "" for long-term credentials */
    time_t expiration;            /* 0: does not expire */
    char source[16];              /* "environment", "profile", "container", "imds" */
} rs_credentials;

typedef struct {
    const char *profile;          /* NULL: $AWS_PROFILE, else "default" */
    const char *imds_endpoint;    /* NULL: $AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254 */
    bool imds_v1_fallback;        /* allow IMDSv1 when the token PUT fails; off by default (SSRF risk) */
    long metadata_connect_timeout_ms;  /* 0: 1000 */
    long metadata_timeout_ms;          /* 0: 1000 for IMDS, 2000 for the container endpoint */
    int metadata_attempts;             /* 0: 3 for the container endpoint, 1 for IMDS */
} rs_creds_config;

/* The longest one run of the chain may take (container endpoint and IMDS both tried, every attempt timing out,
 * an expired IMDS token fetched again), from cfg's metadata timing. */
long rs_creds_budget_ms(const rs_creds_config *cfg);

/* Run the provider chain once. On success out->source names the provider. */
rs_status rs_creds_resolve(const rs_creds_config *cfg, rs_credentials *out, rs_error *err);

/* Seconds before Expiration at which cached temporary credentials are fetched again. */
#define RS_CREDS_REFRESH_MARGIN 900

/* True when creds are empty or expire within RS_CREDS_REFRESH_MARGIN of now. */
bool rs_creds_need_refresh(const rs_credentials *creds, time_t now);

/* A cache in front of the chain: returns the cached credentials until they need refreshing.
 * When a refresh fails but the cached credentials are still valid (not past Expiration), they are used. */
typedef struct {
    rs_creds_config config;
    rs_credentials cached;
} rs_creds_provider;

void rs_creds_provider_init(rs_creds_provider *p, const rs_creds_config *cfg);
rs_status rs_creds_provider_get(rs_creds_provider *p, time_t now, rs_credentials *out, rs_error *err);
/* Forget the cached credentials (after AWS said they are expired or unknown). */
void rs_creds_provider_invalidate(rs_creds_provider *p);
void rs_creds_provider_destroy(rs_creds_provider *p);

/* Wipe a credentials record. */
void rs_credentials_wipe(rs_credentials *c);

/* Region: explicit, $AWS_REGION, $AWS_DEFAULT_REGION, the profile's `region` in the config file,
 * then IMDS placement/region. out holds at most 63 characters. */
rs_status rs_region_resolve(const char *explicit_region, const rs_creds_config *cfg,
                            char out[64], rs_error *err);

/* The container credentials URL built from the environment ("" when none is configured). Public so that
 * tests can check the relative form, which names 169.254.170.2, without ever contacting it. */
rs_status rs_creds_container_url(char *out, size_t out_len, rs_error *err);

/* A plausible AWS region name: 1-63 of [a-z0-9-]. */
bool rs_region_is_valid(const char *name, size_t len);

/* Parse an ISO 8601 UTC time "2026-11-29T19:30:00Z" (fractional seconds allowed); -1 on error. */
time_t rs_parse_iso8601_utc(const char *s);

#endif
