/* Structured JSON log lines (one object per line) for the rotation function. */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

long long rl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long rl_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cJSON *rl_log_begin(const char *level)
{
    cJSON *rec = cJSON_CreateObject();
    if (!rec) {
        return NULL;
    }
    long long now = rl_now_ms();
    time_t secs = (time_t)(now / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char stamp[80];
    snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(now % 1000));
    cJSON_AddStringToObject(rec, "time", stamp);
    cJSON_AddStringToObject(rec, "level", level);
    return rec;
}

void rl_log_emit(cJSON *record)
{
    if (!record) {
        return;
    }
    char *line = cJSON_PrintUnformatted(record);
    cJSON_Delete(record);
    if (line) {
        fputs(line, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        free(line);
    }
}

void rl_log_message(const char *level, const char *message)
{
    cJSON *rec = rl_log_begin(level);
    if (rec) {
        cJSON_AddStringToObject(rec, "message", message);
    }
    rl_log_emit(rec);
}

/* The name part of arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX (the ARN's 6-character suffix cut). */
static void secret_name(const char *arn, char *out, size_t out_len)
{
    const char *p = arn ? strstr(arn, ":secret:") : NULL;
    const char *name = p ? p + 8 : (arn ? arn : "");
    size_t n = strlen(name);
    if (p && n > 7 && name[n - 7] == '-') {
        n -= 7;
    }
    snprintf(out, out_len, "%.*s", (int)(n < out_len ? n : out_len - 1), name);
}

void rl_log_add_step_metrics(cJSON *record, const char *secret_arn, const char *step, bool succeeded,
                             long long duration_ms)
{
    const char *ns = getenv("METRICS_NAMESPACE");
    if (!record || (ns && strcmp(ns, "off") == 0)) {
        return;
    }
    char name[512];
    secret_name(secret_arn, name, sizeof(name));
    cJSON *aws = cJSON_AddObjectToObject(record, "_aws");
    cJSON *directives = aws ? cJSON_AddArrayToObject(aws, "CloudWatchMetrics") : NULL;
    cJSON *directive = cJSON_CreateObject();
    if (!directives || !directive) {
        cJSON_Delete(directive);
        return;
    }
    cJSON_AddNumberToObject(aws, "Timestamp", (double)rl_now_ms());
    cJSON_AddItemToArray(directives, directive);
    cJSON_AddStringToObject(directive, "Namespace", ns && *ns ? ns : "rdssecret/rotation");
    cJSON *dimension_sets = cJSON_AddArrayToObject(directive, "Dimensions");
    const char *by_step[] = {"Step"};
    const char *by_secret_step[] = {"Secret", "Step"};
    const char *by_function[] = {"Function"};
    cJSON_AddItemToArray(dimension_sets, cJSON_CreateStringArray(by_step, 1));
    cJSON_AddItemToArray(dimension_sets, cJSON_CreateStringArray(by_secret_step, 2));
    /* In Lambda: by function too, what the template's alarm watches (one function per secret). */
    const char *function = getenv("AWS_LAMBDA_FUNCTION_NAME");
    if (function && *function) {
        cJSON_AddItemToArray(dimension_sets, cJSON_CreateStringArray(by_function, 1));
        cJSON_AddStringToObject(record, "Function", function);
    }
    cJSON *metrics = cJSON_AddArrayToObject(directive, "Metrics");
    static const char *const names[][2] = {
        {"StepSucceeded", "Count"}, {"StepFailed", "Count"}, {"StepDuration", "Milliseconds"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "Name", names[i][0]);
        cJSON_AddStringToObject(m, "Unit", names[i][1]);
        cJSON_AddItemToArray(metrics, m);
    }
    cJSON_AddStringToObject(record, "Step", step);
    cJSON_AddStringToObject(record, "Secret", name);
    cJSON_AddNumberToObject(record, "StepSucceeded", succeeded ? 1 : 0);
    cJSON_AddNumberToObject(record, "StepFailed", succeeded ? 0 : 1);
    cJSON_AddNumberToObject(record, "StepDuration", (double)duration_ms);
}
