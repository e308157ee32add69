/* bootstrap: the rotation function's entry point. With AWS_LAMBDA_RUNTIME_API set and no arguments it serves
 * Lambda events through the Runtime API; otherwise it is a command line tool for a local or manual rotation. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "creds.h"
#include "env.h"
#include "http.h"
#include "log.h"
#include "rotation.h"
#include "runtime.h"
#include "sm.h"

#define RL_VERSION "0.1.0"

static void usage(FILE *f)
{
    fputs("usage:\n"
          "  bootstrap                                   serve Lambda events (AWS_LAMBDA_RUNTIME_API must be set)\n"
          "  bootstrap rotate --secret-id ID [--token T | --resume]\n"
          "                                              rotate now as Secrets Manager would: RotateSecret with a\n"
          "                                              new token (or T, or the unfinished rotation's token with\n"
          "                                              --resume), then the four steps\n"
          "  bootstrap step --secret-id ID --token T --step STEP [--rotation-token R]\n"
          "                                              run one step (createSecret, setSecret, testSecret,\n"
          "                                              finishSecret; create_secret... spellings accepted)\n"
          "  bootstrap version\n"
          "Every step prints one JSON line on stdout. Exit status: 0 done, 1 a step failed, 2 usage or setup error.\n"
          "Settings come from the environment: see lambda/README.md.\n",
          f);
}

typedef struct {
    rl_config cfg;
    rs_creds_provider creds;
    rs_sm_client sm;
} app;

static rs_status app_init(app *a, rs_error *err)
{
    rs_status st = rl_config_load(&a->cfg, err);
    if (st != RS_OK) {
        return st;
    }
    rs_creds_config ccfg;
    memset(&ccfg, 0, sizeof(ccfg));
    char region[64];
    if ((st = rs_region_resolve(NULL, &ccfg, region, err)) != RS_OK) {
        return st;
    }
    rs_creds_provider_init(&a->creds, &ccfg);
    rs_sm_config scfg = {
        .region = region,
        .endpoint = a->cfg.sm_endpoint[0] ? a->cfg.sm_endpoint : NULL,
        .ca_file = a->cfg.sm_ca_file[0] ? a->cfg.sm_ca_file : NULL,
        .connect_timeout_ms = a->cfg.sm_connect_timeout_ms,
        .timeout_ms = a->cfg.sm_timeout_ms,
        .creds = &a->creds,
    };
    return rs_sm_client_init(&a->sm, &scfg, err);
}

static void log_ready(const app *a, const char *mode)
{
    cJSON *rec = rl_log_begin("info");
    if (rec) {
        cJSON_AddStringToObject(rec, "message", "rotation function ready");
        cJSON_AddStringToObject(rec, "mode", mode);
        cJSON_AddStringToObject(rec, "version", RL_VERSION);
        cJSON_AddStringToObject(rec, "secrets_manager_endpoint", a->sm.endpoint);
        cJSON_AddStringToObject(rec, "secrets_manager_ca_file", a->cfg.sm_ca_file);
        cJSON_AddStringToObject(rec, "db_ca_file", a->cfg.db_ca_file);
        cJSON_AddStringToObject(rec, "db_plugin_dir", a->cfg.db_plugin_dir);
    }
    rl_log_emit(rec);
}

/* --- Lambda ---------------------------------------------------------------------------------------- */

static int serve(const char *api)
{
    rs_error err;
    rs_error_clear(&err);
    rl_runtime rt;
    if (rl_runtime_init(&rt, api, &err) != RS_OK) {
        rl_log_message("error", err.message);
        return 1;
    }
    /* Lambda has no instance metadata service: never let the credential or region chain wait for one. */
    setenv("AWS_EC2_METADATA_DISABLED", "true", 0);
    rs_env_capture();  /* the core reads the environment as it is now (src/env.h) */
    app a;
    if (app_init(&a, &err) != RS_OK) {
        cJSON *rec = rl_log_begin("error");
        if (rec) {
            cJSON_AddStringToObject(rec, "message", "bad configuration; reported as an init error");
            cJSON_AddStringToObject(rec, "error", err.message);
        }
        rl_log_emit(rec);
        rs_error post_err;
        rs_error_clear(&post_err);
        rl_runtime_error(&rt, NULL, "Rotation.Configuration", err.message, &post_err);
        rl_runtime_cleanup(&rt);
        return 1;
    }
    log_ready(&a, "lambda");
    for (;;) {
        rl_invocation inv;
        if (rl_runtime_next(&rt, &inv, &err) != RS_OK) {
            rl_log_message("error", err.message);
            rl_runtime_cleanup(&rt);
            return 1;
        }
        if (inv.trace_id[0]) {
            setenv("_X_AMZN_TRACE_ID", inv.trace_id, 1);
        } else {
            unsetenv("_X_AMZN_TRACE_ID");
        }
        rl_event ev;
        rl_result res;
        rs_status st;
        memset(&ev, 0, sizeof(ev));
        memset(&res, 0, sizeof(res));
        if (inv.deadline_invalid || !inv.deadline_ms) {
            /* Lambda always sends the deadline; without it every guard against a change cut off mid-way is off. */
            snprintf(res.error_type, sizeof(res.error_type), "Rotation.InvalidEvent");
            snprintf(res.message, sizeof(res.message), "the Runtime API gave %s Lambda-Runtime-Deadline-Ms (epoch "
                                                       "milliseconds): the step was not run",
                     inv.deadline_invalid ? "an invalid" : "no");
            rl_log_message("error", res.message);
            st = RS_ERR_MALFORMED;
        } else if ((st = rl_event_parse(inv.body, inv.body_len, &ev, &err)) != RS_OK) {
            snprintf(res.error_type, sizeof(res.error_type), "Rotation.InvalidEvent");
            snprintf(res.message, sizeof(res.message), "%s", err.message);
            rl_log_message("error", res.message);
        } else {
            rl_rotation r = {.sm = &a.sm, .cfg = &a.cfg, .deadline_ms = inv.deadline_ms,
                             .trace_id = getenv("_X_AMZN_TRACE_ID"), .request_id = inv.request_id};
            st = rl_run_step(&r, ev.secret_id, ev.token, ev.step, ev.rotation_token, &res, &err);
        }
        rl_step step = ev.step;
        rl_event_free(&ev);
        rs_error post_err;
        rs_error_clear(&post_err);
        rs_status pst;
        if (st == RS_OK) {
            cJSON *answer = cJSON_CreateObject();
            cJSON_AddStringToObject(answer, "step", rl_step_name(step));
            cJSON_AddStringToObject(answer, "outcome", res.outcome);
            cJSON_AddStringToObject(answer, "message", res.message);
            char *text = cJSON_PrintUnformatted(answer);
            cJSON_Delete(answer);
            pst = rl_runtime_respond(&rt, inv.request_id, text ? text : "null", &post_err);
            free(text);
        } else {
            pst = rl_runtime_error(&rt, inv.request_id, res.error_type, res.message, &post_err);
        }
        if (pst != RS_OK) {
            rl_log_message("error", post_err.message);
        }
        rl_invocation_free(&inv);
    }
}

/* --- command line ---------------------------------------------------------------------------------- */

typedef struct {
    const char *secret_id, *token, *step, *rotation_token;
    int resume;
} cli_args;

static int parse_args(int argc, char **argv, cli_args *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = strcmp(a, "--secret-id") == 0        ? &out->secret_id
                            : strcmp(a, "--token") == 0          ? &out->token
                            : strcmp(a, "--step") == 0           ? &out->step
                            : strcmp(a, "--rotation-token") == 0 ? &out->rotation_token
                                                                 : NULL;
        if (slot) {
            if (i + 1 >= argc) {
                fprintf(stderr, "bootstrap: %s needs a value\n", a);
                return -1;
            }
            *slot = argv[++i];
        } else if (strcmp(a, "--resume") == 0) {
            out->resume = 1;
        } else {
            fprintf(stderr, "bootstrap: unknown argument '%s'\n", a);
            return -1;
        }
    }
    if (!out->secret_id || !*out->secret_id) {
        fprintf(stderr, "bootstrap: --secret-id is required\n");
        return -1;
    }
    return 0;
}

static void log_cli_error(const char *what, const char *secret_id, const rs_error *err)
{
    cJSON *rec = rl_log_begin("error");
    if (rec) {
        cJSON_AddStringToObject(rec, "secret_arn", secret_id);
        cJSON_AddStringToObject(rec, "step", what);
        cJSON_AddStringToObject(rec, "outcome", "error");
        cJSON_AddStringToObject(rec, "message", err->message);
    }
    rl_log_emit(rec);
}

/* RotateSecret semantics: a token, an empty AWSPENDING version for it, rotation enabled. */
static int start_rotation(app *a, const cli_args *args, char token[65])
{
    rs_error err;
    rs_error_clear(&err);
    rs_secret_description d;
    if (rs_sm_describe_secret(&a->sm, args->secret_id, &d, &err) != RS_OK) {
        log_cli_error("rotateSecret", args->secret_id, &err);
        return 1;
    }
    const char *pending = rs_secret_description_version_with_stage(&d, "AWSPENDING");
    const char *current = rs_secret_description_version_with_stage(&d, "AWSCURRENT");
    bool known = false;
    if (args->token) {
        snprintf(token, 65, "%s", args->token);
    } else if (args->resume && pending && (!current || strcmp(pending, current) != 0)) {
        snprintf(token, 65, "%s", pending);
    } else if (rl_new_token(token, &err) != RS_OK) {
        rs_secret_description_free(&d);
        log_cli_error("rotateSecret", args->secret_id, &err);
        return 1;
    }
    for (size_t i = 0; i < d.version_count; i++) {
        known |= strcmp(d.versions[i].version_id, token) == 0;
    }
    rs_secret_description_free(&d);
    if (known) {
        return 0;  /* resuming: the version exists */
    }
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "SecretId", args->secret_id);
    cJSON_AddStringToObject(req, "ClientRequestToken", token);
    char *body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    char *answer = NULL;
    size_t answer_len = 0;
    rs_status st = body ? rs_sm_call(&a->sm, "RotateSecret", body, &answer, &answer_len, &err)
                        : rs_error_set(&err, RS_ERR_INTERNAL, "out of memory");
    free(body);
    free(answer);
    if (st != RS_OK) {
        if (strstr(err.message, "previous rotation")) {
            size_t used = strlen(err.message);
            snprintf(err.message + used, sizeof(err.message) - used, " (finish it with: bootstrap rotate --secret-id "
                                                                     "ID --resume)");
        }
        log_cli_error("rotateSecret", args->secret_id, &err);
        return 1;
    }
    cJSON *rec = rl_log_begin("info");
    if (rec) {
        cJSON_AddStringToObject(rec, "secret_arn", args->secret_id);
        cJSON_AddStringToObject(rec, "step", "rotateSecret");
        cJSON_AddStringToObject(rec, "token", token);
        cJSON_AddStringToObject(rec, "outcome", "success");
        cJSON_AddStringToObject(rec, "message", "RotateSecret created the AWSPENDING version");
    }
    rl_log_emit(rec);
    return 0;
}

static int cli(int argc, char **argv)
{
    const char *cmd = argv[1];
    cli_args args;
    if (parse_args(argc, argv, &args) != 0) {
        usage(stderr);
        return 2;
    }
    rl_step one = RL_STEP_CREATE;
    if (strcmp(cmd, "step") == 0 && (!args.token || !args.step || !rl_step_parse(args.step, &one))) {
        fprintf(stderr, "bootstrap: step needs --token and a --step of createSecret, setSecret, testSecret or "
                        "finishSecret\n");
        return 2;
    }
    if (args.resume && args.token) {
        fprintf(stderr, "bootstrap: --resume and --token exclude each other\n");
        return 2;
    }
    rs_error err;
    rs_error_clear(&err);
    app a;
    if (app_init(&a, &err) != RS_OK) {
        fprintf(stderr, "bootstrap: %s\n", err.message);
        return 2;
    }
    rl_rotation r = {.sm = &a.sm, .cfg = &a.cfg, .deadline_ms = 0};
    rl_result res;
    if (strcmp(cmd, "step") == 0) {
        return rl_run_step(&r, args.secret_id, args.token, one, args.rotation_token, &res, &err) == RS_OK ? 0 : 1;
    }
    char token[65];
    if (start_rotation(&a, &args, token) != 0) {
        return 1;
    }
    for (int s = RL_STEP_CREATE; s < RL_STEP_COUNT; s++) {
        if (rl_run_step(&r, args.secret_id, token, (rl_step)s, args.rotation_token, &res, &err) != RS_OK) {
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    rs_error err;
    rs_error_clear(&err);
    if (rs_http_global_init(&err) != RS_OK) {
        fprintf(stderr, "bootstrap: %s\n", err.message);
        return 2;
    }
    int rc;
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (argc == 1 && api && *api) {
        rc = serve(api);
    } else if (argc >= 2 && (strcmp(argv[1], "rotate") == 0 || strcmp(argv[1], "step") == 0)) {
        rc = cli(argc, argv);
    } else if (argc == 2 && strcmp(argv[1], "version") == 0) {
        printf("rdssecret-rotation %s (libcurl %s)\n", RL_VERSION, rs_http_library_version());
        rc = 0;
    } else if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
        usage(stdout);
        rc = 0;
    } else {
        usage(stderr);
        rc = 2;
    }
    rs_http_global_cleanup();
    return rc;
}
