/* rdssecret-cli: the C core from the command line, for operators and the demo. It uses the same
 * credential chain, endpoint rules and client as the PHP extension, and never prints a secret value:
 * `get` shows the version, stages and a SHA-256 fingerprint of the value. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "creds.h"
#include "http.h"
#include "sigv4.h"
#include "sm.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rdssecret-cli [options] get --secret-id ID [--version-stage S | --version-id V]\n"
            "       rdssecret-cli [options] describe --secret-id ID\n"
            "       rdssecret-cli [options] whoami\n"
            "options: --region R  --endpoint URL  --ca-file FILE  --timeout-ms N  --profile P\n"
            "         --imds-endpoint URL  --imds-v1-fallback\n"
            "The standard AWS environment variables apply. Secret values are never printed.\n");
}

int main(int argc, char **argv)
{
    const char *region = NULL, *endpoint = NULL, *ca_file = NULL, *secret_id = NULL, *stage = NULL,
               *version_id = NULL, *profile = NULL, *imds_endpoint = NULL;
    long timeout_ms = 0;
    int imds_v1 = 0;
    static const struct option options[] = {
        {"region", required_argument, NULL, 'r'},      {"endpoint", required_argument, NULL, 'e'},
        {"ca-file", required_argument, NULL, 'c'},     {"secret-id", required_argument, NULL, 's'},
        {"version-stage", required_argument, NULL, 'S'}, {"version-id", required_argument, NULL, 'V'},
        {"timeout-ms", required_argument, NULL, 't'},  {"profile", required_argument, NULL, 'p'},
        {"imds-endpoint", required_argument, NULL, 'i'}, {"imds-v1-fallback", no_argument, NULL, '1'},
        {"help", no_argument, NULL, 'h'},              {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'r': region = optarg; break;
        case 'e': endpoint = optarg; break;
        case 'c': ca_file = optarg; break;
        case 's': secret_id = optarg; break;
        case 'S': stage = optarg; break;
        case 'V': version_id = optarg; break;
        case 't': timeout_ms = atol(optarg); break;
        case 'p': profile = optarg; break;
        case 'i': imds_endpoint = optarg; break;
        case '1': imds_v1 = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    const char *command = argv[optind];

    rs_error err;
    rs_error_clear(&err);
    if (rs_http_global_init(&err) != RS_OK) {
        fprintf(stderr, "rdssecret-cli: %s\n", err.message);
        return 1;
    }
    rs_creds_config cc = {.profile = profile, .imds_endpoint = imds_endpoint, .imds_v1_fallback = imds_v1};
    rs_creds_provider creds;
    rs_creds_provider_init(&creds, &cc);
    int rc = 1;
    char resolved_region[64];
    rs_credentials c;
    memset(&c, 0, sizeof(c));

    if (strcmp(command, "whoami") == 0) {
        if (rs_creds_provider_get(&creds, time(NULL), &c, &err) == RS_OK) {
            /* The key id is not secret (it appears in CloudTrail); the secret key and token are never shown. */
            printf("credentials: %s, access key id %s, %s", c.source, c.access_key_id,
                   c.session_token[0] ? "temporary" : "long-term");
            if (c.expiration) {
                printf(", expire in %lds", (long)(c.expiration - time(NULL)));
            }
            printf("\n");
            rc = 0;
        }
        if (rc == 0 && rs_region_resolve(region, &cc, resolved_region, &err) == RS_OK) {
            char url[512];
            if (rs_sm_resolve_endpoint(endpoint, resolved_region, url, sizeof(url), &err) == RS_OK) {
                printf("region: %s\nendpoint: %s\n", resolved_region, url);
            } else {
                rc = 1;
            }
        } else {
            rc = 1;
        }
        rs_credentials_wipe(&c);
        goto done;
    }
    if (strcmp(command, "get") != 0 && strcmp(command, "describe") != 0) {
        usage(stderr);
        rc = 2;
        goto done_quiet;
    }
    if (!secret_id) {
        fprintf(stderr, "rdssecret-cli: --secret-id is required\n");
        rc = 2;
        goto done_quiet;
    }
    if (rs_region_resolve(region, &cc, resolved_region, &err) != RS_OK) {
        goto done;
    }
    rs_sm_config cfg = {.region = resolved_region, .endpoint = endpoint, .ca_file = ca_file,
                        .timeout_ms = timeout_ms, .creds = &creds};
    rs_sm_client client;
    if (rs_sm_client_init(&client, &cfg, &err) != RS_OK) {
        goto done;
    }
    if (strcmp(command, "get") == 0) {
        rs_secret_value v;
        if (rs_sm_get_secret_value(&client, secret_id, version_id, stage, &v, &err) != RS_OK) {
            goto done;
        }
        char fingerprint[65];
        if (v.secret_string) {
            rs_sha256_hex(v.secret_string, v.secret_string_len, fingerprint);
        } else {
            rs_sha256_hex(v.secret_binary, v.secret_binary_len, fingerprint);
        }
        printf("name: %s\narn: %s\nversion: %s\nstages:", v.name ? v.name : "", v.arn ? v.arn : "", v.version_id);
        for (size_t i = 0; i < v.version_stage_count; i++) {
            printf(" %s", v.version_stages[i]);
        }
        printf("\nvalue: %s, %zu bytes, sha256 %.16s...\n", v.secret_string ? "string" : "binary",
               v.secret_string ? v.secret_string_len : v.secret_binary_len, fingerprint);
        rs_secret_value_free(&v);
    } else {
        rs_secret_description d;
        if (rs_sm_describe_secret(&client, secret_id, &d, &err) != RS_OK) {
            goto done;
        }
        printf("name: %s\narn: %s\nrotation: %s\n", d.name ? d.name : "", d.arn,
               d.rotation_enabled ? "enabled" : "disabled");
        for (size_t i = 0; i < d.version_count; i++) {
            printf("version %s:", d.versions[i].version_id);
            for (size_t j = 0; j < d.versions[i].stage_count; j++) {
                printf(" %s", d.versions[i].stages[j]);
            }
            printf("\n");
        }
        rs_secret_description_free(&d);
    }
    rc = 0;
done:
    if (rc != 0) {
        fprintf(stderr, "rdssecret-cli: %s [%s]\n", err.message, rs_status_name(err.status));
    }
done_quiet:
    rs_creds_provider_destroy(&creds);
    rs_http_global_cleanup();
    return rc;
}
