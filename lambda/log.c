/* Structured JSON log lines (one object per line) for the rotation function. */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
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
