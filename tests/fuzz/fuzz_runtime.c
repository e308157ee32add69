/* Fuzz target: the Lambda Runtime API client (lambda/runtime.c) reading /next answers (status, the
 * Lambda-Runtime-* headers, the event body) through its own libcurl callbacks, behind scripted libcurl
 * (fuzz_curl_script.c), and the rotation event parser (rl_event_parse, what bootstrap's serve loop runs on each
 * event), then the answer posted back, as lambda/main.c does.
 *
 * Input: each section answers one request in order (/next, then the response or error POST, then /next...).
 * Invariants: an invocation has a request id; its deadline is 0 or 1..RL_DEADLINE_MAX_MS and marked invalid
 * exactly when the header was there but not plain digits (strtoll took "abc" for "no deadline" and any 64-bit
 * value, so the time left overflowed: the point 5 finding); the body is NUL-terminated and bounded; an event
 * parsed has a known step; answers go to /runtime/invocation/<id>/response|error with an id of safe characters
 * only, as JSON. */
#include <cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_curl_script.h"
#include "rotation.h"
#include "runtime.h"

#define BASE "http://127.0.0.1:9001/2018-06-01"

static void check_request(const char *url, bool post, const char *body, void *ctx)
{
    (void)ctx;
    FZ_ASSERT(strncmp(url, BASE "/runtime/", sizeof(BASE "/runtime/") - 1) == 0, "requests go to the Runtime API");
    const char *path = url + sizeof(BASE) - 1;
    if (!post) {
        FZ_ASSERT(strcmp(path, "/runtime/invocation/next") == 0, "the only GET is /next");
        return;
    }
    cJSON *json = cJSON_Parse(body ? body : "");
    FZ_ASSERT(json, "every POST body is JSON");
    cJSON_Delete(json);
    if (strcmp(path, "/runtime/init/error") == 0) {
        return;
    }
    static const char prefix[] = "/runtime/invocation/";
    FZ_ASSERT(strncmp(path, prefix, sizeof(prefix) - 1) == 0, "answers go to /runtime/invocation/");
    const char *id = path + sizeof(prefix) - 1;
    size_t n = strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");
    FZ_ASSERT(n > 0 && (strcmp(id + n, "/response") == 0 || strcmp(id + n, "/error") == 0),
              "the request id in an answer's path holds safe characters only");
}

/* What the header lines of the answer said about the deadline: absent, valid digits, or something else. */
static int scripted_deadline(fz_span section, long long *value)
{
    fz_http_answer a;
    fz_http_answer_parse(section, &a);
    int state = 0;  /* 0 absent, 1 valid, 2 invalid */
    fz_span rest = a.headers, line;
    while (rest.p && rest.len && fz_span_line(&rest, &line)) {
        static const char name[] = "Lambda-Runtime-Deadline-Ms:";
        if (line.len < sizeof(name) - 1 || strncasecmp(line.p, name, sizeof(name) - 1) != 0) {
            continue;
        }
        const char *v = line.p + sizeof(name) - 1, *end = line.p + line.len;
        while (v < end && (*v == ' ' || *v == '\t')) {
            v++;
        }
        while (end > v && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t')) {
            end--;
        }
        long long x = 0;
        bool ok = end > v && end - v <= 15;
        for (const char *p = v; ok && p < end; p++) {
            ok = *p >= '0' && *p <= '9';
            x = x * 10 + (*p - '0');
        }
        ok = ok && x >= 1;
        if (!ok) {
            state = 2;
        } else if (state != 2) {
            state = 1;
            *value = x;
        }
    }
    return state;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_script script;
    fz_script_init(&script, data, size);
    rl_runtime rt;
    rs_error err;
    rs_error_clear(&err);
    if (rl_runtime_init(&rt, "127.0.0.1:9001", &err) != RS_OK) {
        abort();
    }
    fz_curl_use(&script, check_request, NULL);
    for (int round = 0; round < 4; round++) {
        fz_span next_answer = {NULL, 0};
        if (script.next < script.count) {
            next_answer = script.answers[script.next];
        }
        rl_invocation inv;
        rs_status st = rl_runtime_next(&rt, &inv, &err);
        if (st != RS_OK) {
            FZ_ASSERT(err.status == st, "a failed /next says why");
            break;
        }
        FZ_ASSERT(inv.request_id[0] && memchr(inv.request_id, '\0', sizeof(inv.request_id)),
                  "an invocation has a request id");
        FZ_ASSERT(inv.body && inv.body[inv.body_len] == '\0' && inv.body_len <= 1024 * 1024,
                  "the event body is NUL-terminated and bounded");
        FZ_ASSERT(inv.deadline_ms >= 0 && inv.deadline_ms <= RL_DEADLINE_MAX_MS,
                  "a deadline is 0 or plain epoch milliseconds in range (never a wrapped 64-bit value)");
        long long want = 0;
        /* (A header holding a NUL byte is read up to it, as C reads it: no reference for that here.) */
        if (next_answer.p && !memchr(next_answer.p, '\0', next_answer.len)) {
            int state = scripted_deadline(next_answer, &want);
            FZ_ASSERT(inv.deadline_invalid == (state == 2), "a deadline header that is not plain digits is invalid");
            FZ_ASSERT(state != 1 || inv.deadline_ms == want, "a valid deadline is read exactly");
        }
        rl_event ev;
        rs_error ev_err;
        rs_error_clear(&ev_err);
        if (rl_event_parse(inv.body, inv.body_len, &ev, &ev_err) == RS_OK) {
            FZ_ASSERT(ev.step < RL_STEP_COUNT, "an event has a known step");
            st = rl_runtime_respond(&rt, inv.request_id, "{\"outcome\":\"success\"}", &err);
            rl_event_free(&ev);
        } else {
            FZ_ASSERT(ev_err.status == RS_ERR_INVALID_PARAMETER && !ev.secret_id && !ev.token,
                      "an unusable event is refused with nothing kept");
            st = rl_runtime_error(&rt, inv.request_id, "Rotation.InvalidEvent", ev_err.message, &err);
        }
        FZ_ASSERT(st == RS_OK || err.status == st, "a failed answer says why");
        rl_invocation_free(&inv);
    }
    fz_curl_use(NULL, NULL, NULL);
    rl_runtime_cleanup(&rt);
    return 0;
}
