/* The AWS credential provider chain (environment, shared files, container endpoint, EC2 IMDS), the cache
 * in front of it, and region lookup. Secrets never reach an error message; buffers that held them are wiped. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE  /* timegm */
#endif

#include "creds.h"

#include <arpa/inet.h>
#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "env.h"
#include "http.h"
#include "secret.h"

#define METADATA_MAX_RESPONSE_BYTES (16 * 1024)
#define AUTH_TOKEN_FILE_MAX_BYTES (16 * 1024)
#define METADATA_RETRY_PAUSE_MS 100
#define CONTAINER_TIMEOUT_MS 2000
#define CONTAINER_ATTEMPTS 3
#define IMDS_TIMEOUT_MS 1000
#define IMDS_ATTEMPTS 1

#define CONTAINER_RELATIVE_BASE "http://169.254.170.2"
#define IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define IMDS_DEFAULT_ENDPOINT_IPV6 "http://[fd00:ec2::254]"
#define IMDS_TOKEN_TTL_SECONDS "21600"
#define IMDS_CREDENTIALS_PATH "/latest/meta-data/iam/security-credentials/"
#define IMDS_REGION_PATH "/latest/meta-data/placement/region"

/* ---------- small helpers ---------- */

typedef struct {
    const char *p;
    size_t len;
} span;

/* The providers that find nothing say why; the reasons make up the "no credentials" message. */
typedef struct {
    char text[448];
    size_t len;
} chain_notes;

static void note_add(chain_notes *n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void note_add(chain_notes *n, const char *fmt, ...)
{
    if (n->len + 1 >= sizeof(n->text)) {
        return;
    }
    if (n->len > 0) {
        int w = snprintf(n->text + n->len, sizeof(n->text) - n->len, ", ");
        n->len += (size_t)w;
        if (n->len >= sizeof(n->text)) {
            n->len = sizeof(n->text) - 1;
            return;
        }
    }
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(n->text + n->len, sizeof(n->text) - n->len, fmt, ap);
    va_end(ap);
    if (w > 0) {
        n->len += (size_t)w;
        if (n->len >= sizeof(n->text)) {
            n->len = sizeof(n->text) - 1;
        }
    }
}

/* From the environment snapshot (env.h), never the live environment; unset and empty mean the same, as in
 * the SDKs. */
static const char *env_nonempty(const char *name)
{
    return rs_env_get(name);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static span span_trim(span s)
{
    while (s.len > 0 && is_space(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len > 0 && is_space(s.p[s.len - 1])) {
        s.len--;
    }
    return s;
}

static bool span_eq(span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.p, lit, n) == 0;
}

static bool has_control_chars(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            return true;
        }
    }
    return false;
}

/* Copy a credential value into a fixed field. `what` and `where` name the value, never quote it:
 * the value may be a secret. Control characters are refused because the key id and the session token
 * end up in request headers. */
static rs_status copy_field(char *dst, size_t dst_size, span value, rs_status bad, const char *what,
                            const char *where, rs_error *err)
{
    if (value.len >= dst_size) {
        return rs_error_set(err, bad, "%s from %.200s is too long (%zu bytes, at most %zu)", what, where,
                            value.len, dst_size - 1);
    }
    if (has_control_chars(value.p, value.len)) {
        return rs_error_set(err, bad, "%s from %.200s contains control characters", what, where);
    }
    memcpy(dst, value.p, value.len);
    dst[value.len] = '\0';
    return RS_OK;
}

static span span_of(const char *s)
{
    span r = {s, s ? strlen(s) : 0};
    return r;
}

static void set_source(rs_credentials *c, const char *source)
{
    snprintf(c->source, sizeof(c->source), "%s", source);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

void rs_credentials_wipe(rs_credentials *c)
{
    if (c) {
        OPENSSL_cleanse(c, sizeof(*c));
    }
}

/* ---------- time ---------- */

static bool take_digits(const char **p, int count, int *out)
{
    int v = 0;
    for (int i = 0; i < count; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + (c - '0');
    }
    *p += count;
    *out = v;
    return true;
}

/* Advance past one expected character; never steps over the terminating NUL. */
static bool take_char(const char **p, char c)
{
    if (**p != c) {
        return false;
    }
    (*p)++;
    return true;
}

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return (month == 2 && leap) ? 29 : days[month - 1];
}

time_t rs_parse_iso8601_utc(const char *s)
{
    if (!s) {
        return -1;
    }
    const char *p = s;
    int year, month, day, hour, minute, second;
    if (!take_digits(&p, 4, &year) || !take_char(&p, '-') || !take_digits(&p, 2, &month) ||
        !take_char(&p, '-') || !take_digits(&p, 2, &day) || !(take_char(&p, 'T') || take_char(&p, 't')) ||
        !take_digits(&p, 2, &hour) || !take_char(&p, ':') || !take_digits(&p, 2, &minute) ||
        !take_char(&p, ':') || !take_digits(&p, 2, &second)) {
        return -1;
    }
    /* Before 1970 the result would be negative, and -1 is the error value; no credential expires then. */
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
        minute > 59 || second > 60) {
        return -1;
    }
    if (take_char(&p, '.')) {
        /* Fractional seconds are dropped: expirations are compared at one-second precision. */
        if (*p < '0' || *p > '9') {
            return -1;
        }
        while (*p >= '0' && *p <= '9') {
            p++;
        }
    }
    long offset = 0;
    if (take_char(&p, 'Z') || take_char(&p, 'z')) {
        /* UTC */
    } else if (*p == '+' || *p == '-') {
        int sign = (*p == '-') ? -1 : 1;
        int oh, om;
        p++;
        if (!take_digits(&p, 2, &oh)) {
            return -1;
        }
        take_char(&p, ':');
        if (!take_digits(&p, 2, &om) || oh > 23 || om > 59) {
            return -1;
        }
        offset = sign * (oh * 3600L + om * 60L);
    } else {
        return -1;
    }
    if (*p != '\0') {
        return -1;
    }
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    time_t t = timegm(&tm);
    if (t == (time_t)-1) {
        return -1;
    }
    t -= offset;
    return t < 0 ? -1 : t;
}

bool rs_creds_need_refresh(const rs_credentials *creds, time_t now)
{
    if (!creds || creds->access_key_id[0] == '\0') {
        return true;
    }
    return creds->expiration != 0 && now >= creds->expiration - RS_CREDS_REFRESH_MARGIN;
}

/* ---------- files ---------- */

static void wipe_free(char *buf, size_t len)
{
    if (buf) {
        OPENSSL_cleanse(buf, len);
        free(buf);
    }
}

/* ---------- INI profiles ---------- */

enum {
    K_ACCESS_KEY_ID,
    K_SECRET_ACCESS_KEY,
    K_SESSION_TOKEN,
    K_REGION,
    /* Ways of getting credentials that the SDKs support and rdssecret does not. */
    K_ROLE_ARN,
    K_CREDENTIAL_PROCESS,
    K_SSO_SESSION,
    K_SSO_START_URL,
    K_WEB_IDENTITY_TOKEN_FILE,
    K_COUNT
};

static const char *const profile_key_names[K_COUNT] = {
    "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "region", "role_arn",
    "credential_process", "sso_session", "sso_start_url", "web_identity_token_file",
};

typedef enum { SHARED_CREDENTIALS, SHARED_CONFIG } shared_kind;

typedef struct {
    bool found;             /* a section for the profile exists */
    span values[K_COUNT];   /* point into the file buffer; len 0 when absent or empty */
} profile_section;

/* Whether a section header names our profile. The credentials file uses the bare name; the config file
 * uses "profile NAME", except for the default profile, which may be "[default]" there too. */
static bool section_matches(span header, shared_kind kind, const char *profile)
{
    if (kind == SHARED_CREDENTIALS) {
        return span_eq(header, profile);
    }
    if (strcmp(profile, "default") == 0 && span_eq(header, "default")) {
        return true;
    }
    if (header.len > 7 && memcmp(header.p, "profile", 7) == 0 && (header.p[7] == ' ' || header.p[7] == '\t')) {
        span name = {header.p + 8, header.len - 8};
        return span_eq(span_trim(name), profile);
    }
    return false;
}

/* Cut an inline comment: '#' or ';' preceded by whitespace (as the Rust SDK does). A '#' inside a
 * value without a space before it is kept, which keeps any unusual but legal key text intact. */
static span strip_inline_comment(span v)
{
    for (size_t i = 1; i < v.len; i++) {
        if ((v.p[i] == '#' || v.p[i] == ';') && (v.p[i - 1] == ' ' || v.p[i - 1] == '\t')) {
            v.len = i;
            break;
        }
    }
    return span_trim(v);
}

/* Scan an INI buffer for the profile's section(s) and the keys we care about. Follows Python's
 * configparser as used by botocore where it matters: full-line comments start with '#' or ';';
 * keys are case-insensitive, section names are not; "key = value" or "key: value"; a line indented
 * deeper than the key before it continues that key's value (nested settings such as "s3 =") and is
 * skipped. Repeated sections merge and a repeated key's last value wins. The buffer is bounded by the
 * file size limit, so lines need no separate bound. */
static void parse_profile(const char *buf, size_t len, shared_kind kind, const char *profile, profile_section *out)
{
    memset(out, 0, sizeof(*out));
    bool in_profile = false;
    bool have_key = false;     /* a key line was seen in the current section */
    size_t key_indent = 0;
    const char *end = buf + len;
    for (const char *line = buf; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *line_end = nl ? nl : end;
        span s = {line, (size_t)(line_end - line)};
        line = nl ? nl + 1 : end;

        size_t indent = 0;
        while (indent < s.len && (s.p[indent] == ' ' || s.p[indent] == '\t')) {
            indent++;
        }
        span rest = span_trim((span){s.p + indent, s.len - indent});
        if (rest.len == 0 || rest.p[0] == '#' || rest.p[0] == ';') {
            continue;
        }
        if (rest.p[0] == '[') {
            const char *close = memchr(rest.p, ']', rest.len);
            if (!close) {
                /* Not a section header botocore would accept; leave the current section. */
                in_profile = false;
                have_key = false;
                continue;
            }
            span header = span_trim((span){rest.p + 1, (size_t)(close - rest.p - 1)});
            in_profile = section_matches(header, kind, profile);
            if (in_profile) {
                out->found = true;
            }
            have_key = false;
            continue;
        }
        if (have_key && indent > key_indent) {
            continue;  /* continuation of the previous key's value */
        }
        size_t sep = 0;
        while (sep < rest.len && rest.p[sep] != '=' && rest.p[sep] != ':') {
            sep++;
        }
        if (sep == rest.len) {
            continue;  /* not "key = value": ignored */
        }
        have_key = true;
        key_indent = indent;
        if (!in_profile) {
            continue;
        }
        span key = span_trim((span){rest.p, sep});
        span value = strip_inline_comment((span){rest.p + sep + 1, rest.len - sep - 1});
        for (int k = 0; k < K_COUNT; k++) {
            if (key.len == strlen(profile_key_names[k]) && strncasecmp(key.p, profile_key_names[k], key.len) == 0) {
                out->values[k] = value;
                break;
            }
        }
    }
}

typedef struct {
    char path[4096];
    bool have_path;          /* a path could be built (HOME or the variable is set) */
    bool absent;             /* the file does not exist */
    bool unreadable;
    char problem[240];       /* why it could not be read */
    profile_section section;   /* points into the snapshot's copy of the file */
} shared_file;

/* Scan one shared file, as read when the environment snapshot was taken, for the profile. An unreadable file is
 * skipped as botocore and the Rust SDK skip it, but the reason goes into the notes; a file over the size limit
 * is a configuration error. */
static rs_status shared_file_load(shared_file *f, shared_kind kind, const char *profile, rs_error *err)
{
    memset(f, 0, sizeof(*f));
    const rs_env_file *ef = rs_env_shared_file(kind == SHARED_CREDENTIALS ? RS_ENV_CREDENTIALS_FILE : RS_ENV_CONFIG_FILE);
    if (ef->status != RS_OK) {
        return rs_error_set(err, ef->status, "%s", ef->problem ? ef->problem : "the shared file cannot be used");
    }
    f->have_path = ef->have_path;
    if (!f->have_path) {
        return RS_OK;
    }
    snprintf(f->path, sizeof(f->path), "%s", ef->path);
    f->absent = ef->absent;
    if (ef->problem) {
        f->unreadable = true;
        snprintf(f->problem, sizeof(f->problem), "%.200s", ef->problem);
        return RS_OK;
    }
    if (ef->data) {
        parse_profile(ef->data, ef->len, kind, profile, &f->section);
    }
    return RS_OK;
}

static void shared_file_release(shared_file *f)
{
    OPENSSL_cleanse(f, sizeof(*f));
}

/* The profile in use: the configured one, else $AWS_PROFILE, else "default". */
static const char *profile_name(const rs_creds_config *cfg, bool *explicit_choice)
{
    const char *p = (cfg && cfg->profile && *cfg->profile) ? cfg->profile : env_nonempty("AWS_PROFILE");
    *explicit_choice = p != NULL;
    return p ? p : "default";
}

/* ---------- providers ---------- */

/* Environment. botocore skips a half-set pair silently; here it is a configuration error naming the
 * missing variable, because a half-set pair is always a mistake and falling through to another identity
 * (an instance role) would hide it. */
static rs_status provider_env(rs_credentials *out, chain_notes *notes, rs_error *err)
{
    const char *id = env_nonempty("AWS_ACCESS_KEY_ID");
    const char *secret = env_nonempty("AWS_SECRET_ACCESS_KEY");
    if (!id && !secret) {
        note_add(notes, "environment not set");
        return RS_OK;
    }
    if (!id || !secret) {
        return rs_error_set(err, RS_ERR_CONFIG, "%s is set but %s is not",
                            id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                            id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    }
    rs_status st = copy_field(out->access_key_id, sizeof(out->access_key_id), span_of(id), RS_ERR_CONFIG,
                              "the access key id", "AWS_ACCESS_KEY_ID", err);
    if (st == RS_OK) {
        st = copy_field(out->secret_access_key, sizeof(out->secret_access_key), span_of(secret), RS_ERR_CONFIG,
                        "the secret access key", "AWS_SECRET_ACCESS_KEY", err);
    }
    const char *token = env_nonempty("AWS_SESSION_TOKEN");
    if (st == RS_OK && token) {
        st = copy_field(out->session_token, sizeof(out->session_token), span_of(token), RS_ERR_CONFIG,
                        "the session token", "AWS_SESSION_TOKEN", err);
    }
    if (st != RS_OK) {
        rs_credentials_wipe(out);
        return st;
    }
    out->expiration = 0;
    set_source(out, "environment");
    return RS_OK;
}

/* Static keys from one profile section. *taken says whether the section supplied credentials. */
static rs_status creds_from_section(const shared_file *f, const char *profile, rs_credentials *out, bool *taken,
                                    rs_error *err)
{
    *taken = false;
    const span *v = f->section.values;
    bool has_id = v[K_ACCESS_KEY_ID].len > 0, has_secret = v[K_SECRET_ACCESS_KEY].len > 0;
    if (!has_id && !has_secret) {
        return RS_OK;
    }
    if (!has_id || !has_secret) {
        return rs_error_set(err, RS_ERR_CONFIG, "profile '%.64s' in %.200s has %s but no %s", profile, f->path,
                            has_id ? "aws_access_key_id" : "aws_secret_access_key",
                            has_id ? "aws_secret_access_key" : "aws_access_key_id");
    }
    char where[300];
    snprintf(where, sizeof(where), "profile '%.64s' in %.200s", profile, f->path);
    rs_status st = copy_field(out->access_key_id, sizeof(out->access_key_id), v[K_ACCESS_KEY_ID], RS_ERR_CONFIG,
                              "aws_access_key_id", where, err);
    if (st == RS_OK) {
        st = copy_field(out->secret_access_key, sizeof(out->secret_access_key), v[K_SECRET_ACCESS_KEY],
                        RS_ERR_CONFIG, "aws_secret_access_key", where, err);
    }
    if (st == RS_OK && v[K_SESSION_TOKEN].len > 0) {
        st = copy_field(out->session_token, sizeof(out->session_token), v[K_SESSION_TOKEN], RS_ERR_CONFIG,
                        "aws_session_token", where, err);
    }
    if (st != RS_OK) {
        rs_credentials_wipe(out);
        return st;
    }
    out->expiration = 0;
    set_source(out, "profile");
    *taken = true;
    return RS_OK;
}

/* Shared credentials file, then config file: the first section holding keys wins, and the two files
 * are never mixed. botocore would prefer role_arn, SSO, web identity or credential_process in a profile
 * over static keys; rdssecret supports none of them, so a profile that uses them without static keys is a
 * configuration error rather than a silent fall-through to another identity. */
static rs_status provider_profile(const rs_creds_config *cfg, rs_credentials *out, chain_notes *notes,
                                  rs_error *err)
{
    bool explicit_choice;
    const char *profile = profile_name(cfg, &explicit_choice);
    if (strlen(profile) > 128 || has_control_chars(profile, strlen(profile))) {
        return rs_error_set(err, RS_ERR_CONFIG, "the profile name is not valid");
    }
    const char *unsupported = NULL;
    bool found = false;
    shared_file files[2];
    shared_kind kinds[2] = {SHARED_CREDENTIALS, SHARED_CONFIG};
    rs_status st = RS_OK;
    int loaded = 0;
    bool taken = false;
    for (int i = 0; i < 2 && !taken; i++) {
        st = shared_file_load(&files[i], kinds[i], profile, err);
        loaded = i + 1;
        if (st != RS_OK) {
            break;
        }
        found = found || files[i].section.found;
        st = creds_from_section(&files[i], profile, out, &taken, err);
        if (st != RS_OK) {
            break;
        }
        for (int k = K_ROLE_ARN; k < K_COUNT && !unsupported; k++) {
            if (files[i].section.values[k].len > 0) {
                unsupported = profile_key_names[k];
            }
        }
    }
    if (st == RS_OK && !taken) {
        if (unsupported) {
            st = rs_error_set(err, RS_ERR_CONFIG,
                              "profile '%.64s' uses %s, which rdssecret does not support; give the profile "
                              "aws_access_key_id/aws_secret_access_key or use another profile",
                              profile, unsupported);
        } else if (!found && explicit_choice && strcmp(profile, "default") != 0) {
            /* As the SDKs do: a profile asked for by name must exist. */
            st = rs_error_set(err, RS_ERR_CONFIG, "profile '%.64s' not found in %.150s or %.150s", profile,
                              files[0].have_path ? files[0].path : "(no credentials file: HOME not set)",
                              files[1].have_path ? files[1].path : "(no config file: HOME not set)");
        } else {
            if (!files[0].have_path && !files[1].have_path) {
                note_add(notes, "no shared files (HOME not set)");
            } else {
                note_add(notes, "%s profile '%.64s' in %.120s or %.120s", found ? "no keys in" : "no", profile,
                         files[0].have_path ? files[0].path : "-", files[1].have_path ? files[1].path : "-");
                for (int i = 0; i < loaded; i++) {
                    if (files[i].unreadable) {
                        note_add(notes, "%s", files[i].problem);
                    }
                }
            }
        }
    }
    for (int i = 0; i < loaded; i++) {
        shared_file_release(&files[i]);
    }
    return st;
}

/* The SDKs would call STS AssumeRoleWithWebIdentity here (EKS IRSA); rdssecret does not, and falling
 * through to the container or the node's instance role would silently use another identity. */
static rs_status provider_web_identity_guard(rs_error *err)
{
    if (env_nonempty("AWS_WEB_IDENTITY_TOKEN_FILE") && env_nonempty("AWS_ROLE_ARN")) {
        return rs_error_set(err, RS_ERR_CONFIG,
                            "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are set, but web identity "
                            "(IRSA) credentials are not supported by rdssecret; use EKS Pod Identity, "
                            "environment credentials or a profile");
    }
    return RS_OK;
}

/* ---------- metadata HTTP (container endpoint and IMDS) ---------- */

typedef struct {
    long connect_timeout_ms;
    long timeout_ms;
    int attempts;
} metadata_timing;

static metadata_timing timing_for(const rs_creds_config *cfg, long default_timeout_ms, int default_attempts)
{
    metadata_timing t;
    t.connect_timeout_ms = (cfg && cfg->metadata_connect_timeout_ms > 0) ? cfg->metadata_connect_timeout_ms : 1000;
    t.timeout_ms = (cfg && cfg->metadata_timeout_ms > 0) ? cfg->metadata_timeout_ms : default_timeout_ms;
    t.attempts = (cfg && cfg->metadata_attempts > 0) ? cfg->metadata_attempts : default_attempts;
    return t;
}

/* One metadata request, retried on transport failures, 5xx and 429 (the answers that may pass).
 * RS_OK means an HTTP answer is in resp, whatever its status. */
static rs_status metadata_request(const char *method, const char *url, const rs_header *headers, size_t header_count,
                                  const metadata_timing *t, rs_http_response *resp, rs_error *err)
{
    rs_http_request req;
    memset(&req, 0, sizeof(req));
    req.method = method;
    req.url = url;
    req.headers = headers;
    req.header_count = header_count;
    req.connect_timeout_ms = t->connect_timeout_ms;
    req.timeout_ms = t->timeout_ms;
    req.max_response_bytes = METADATA_MAX_RESPONSE_BYTES;
    req.plain_policy = RS_HTTP_PLAIN_METADATA;
    if (strcmp(method, "PUT") == 0) {
        req.body = "";
        req.body_len = 0;
    }
    rs_status st = RS_ERR_INTERNAL;
    for (int attempt = 1; attempt <= t->attempts; attempt++) {
        if (attempt > 1) {
            sleep_ms(METADATA_RETRY_PAUSE_MS);
        }
        st = rs_http_perform(&req, resp, err);
        bool last = attempt == t->attempts;
        if (st == RS_OK) {
            if (!last && (resp->status >= 500 || resp->status == 429)) {
                rs_http_response_free(resp);
                continue;
            }
            return RS_OK;
        }
        if (last || (st != RS_ERR_CONNECT && st != RS_ERR_TIMEOUT)) {
            return st;
        }
    }
    return st;
}

/* One metadata request's worst case: every attempt runs to its timeout, with the pauses between them. */
static long request_budget_ms(const metadata_timing *t)
{
    long per_attempt = t->timeout_ms > t->connect_timeout_ms ? t->timeout_ms : t->connect_timeout_ms;
    return (long)t->attempts * per_attempt + (long)(t->attempts - 1) * METADATA_RETRY_PAUSE_MS;
}

long rs_creds_budget_ms(const rs_creds_config *cfg)
{
    metadata_timing container = timing_for(cfg, CONTAINER_TIMEOUT_MS, CONTAINER_ATTEMPTS);
    metadata_timing imds = timing_for(cfg, IMDS_TIMEOUT_MS, IMDS_ATTEMPTS);
    /* IMDS: token, role list, credentials, and once a new token and the request again after a 401. */
    return request_budget_ms(&container) + 5 * request_budget_ms(&imds);
}

/* Wipe the string values of a parsed answer (credentials are in it) before it is freed.
 * rs_http_global_init also makes cJSON wipe what it frees; this does not depend on that. */
static void json_wipe(cJSON *item)
{
    for (; item; item = item->next) {
        if (item->valuestring) {
            OPENSSL_cleanse(item->valuestring, strlen(item->valuestring));
        }
        json_wipe(item->child);
    }
}

/* Prefix the message already in err (e.g. from rs_http_perform) with what we were doing. */
static rs_status error_prefixed(rs_error *err, rs_status st, const char *prefix)
{
    if (!err) {
        return st;
    }
    char inner[sizeof(err->message)];
    memcpy(inner, err->message, sizeof(inner));
    long http_status = err->http_status;
    rs_error_set(err, st, "%s: %s", prefix, inner);
    err->http_status = http_status;
    return st;
}

/* A string member of a JSON answer, or NULL when absent. *bad is set when present but not a string. */
static const char *json_string(const cJSON *obj, const char *name, bool *bad)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!item || cJSON_IsNull(item)) {
        return NULL;
    }
    if (!cJSON_IsString(item) || !item->valuestring) {
        *bad = true;
        return NULL;
    }
    return item->valuestring;
}

/* Temporary credentials from a container endpoint or IMDS answer. IMDS always sends Code, Token and
 * Expiration; a container endpoint may leave out Token and Expiration (long-term keys). */
static rs_status creds_from_json(const char *body, size_t len, bool imds, const char *where, rs_credentials *out,
                                 rs_error *err)
{
    cJSON *json = NULL;
    rs_status st = RS_OK;
    if (rs_json_has_escaped_nul(body, len)) {
        /* cJSON would cut a key id or token there and the request would be signed with a stump. */
        st = rs_error_set(err, RS_ERR_MALFORMED, "%s: the answer holds a NUL character", where);
        goto done;
    }
    json = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsObject(json)) {
        st = rs_error_set(err, RS_ERR_MALFORMED, "%s: the answer is not a JSON object", where);
        goto done;
    }
    bool bad = false;
    if (imds) {
        const char *code = json_string(json, "Code", &bad);
        if (!code || strcmp(code, "Success") != 0) {
            st = rs_error_set(err, RS_ERR_REQUEST_FAILED, "%s: Code is '%.64s', not 'Success'", where,
                              code ? code : "(missing)");
            goto done;
        }
    }
    const char *id = json_string(json, "AccessKeyId", &bad);
    const char *secret = json_string(json, "SecretAccessKey", &bad);
    const char *token = json_string(json, "Token", &bad);
    const char *expiration = json_string(json, "Expiration", &bad);
    if (bad || !id || !*id || !secret || !*secret || (imds && (!token || !*token || !expiration))) {
        st = rs_error_set(err, RS_ERR_MALFORMED,
                          "%s: the answer lacks AccessKeyId, SecretAccessKey%s or has a field of the wrong type",
                          where, imds ? ", Token, Expiration" : "");
        goto done;
    }
    st = copy_field(out->access_key_id, sizeof(out->access_key_id), span_of(id), RS_ERR_MALFORMED, "AccessKeyId",
                    where, err);
    if (st == RS_OK) {
        st = copy_field(out->secret_access_key, sizeof(out->secret_access_key), span_of(secret), RS_ERR_MALFORMED,
                        "SecretAccessKey", where, err);
    }
    if (st == RS_OK && token) {
        st = copy_field(out->session_token, sizeof(out->session_token), span_of(token), RS_ERR_MALFORMED, "Token",
                        where, err);
    }
    if (st == RS_OK && expiration) {
        out->expiration = rs_parse_iso8601_utc(expiration);
        if (out->expiration == (time_t)-1) {
            st = rs_error_set(err, RS_ERR_MALFORMED, "%s: Expiration '%.40s' is not an ISO 8601 time", where,
                              expiration);
        }
    }
done:
    json_wipe(json);
    cJSON_Delete(json);
    if (st != RS_OK) {
        rs_credentials_wipe(out);
    }
    return st;
}

/* ---------- container endpoint ---------- */

/* Plain http is allowed only to the hosts the SDKs allow for AWS_CONTAINER_CREDENTIALS_FULL_URI
 * (loopback, ECS 169.254.170.2, EKS Pod Identity 169.254.170.23 and fd00:ec2::23); not the IMDS address. */
static bool container_url_allowed(const rs_url *u)
{
    if (strcmp(u->scheme, "https") == 0 || rs_host_is_loopback(u->host)) {
        return true;
    }
    if (strcmp(u->host, "169.254.170.2") == 0 || strcmp(u->host, "169.254.170.23") == 0) {
        return true;
    }
    struct in6_addr given, pod_identity;
    return inet_pton(AF_INET6, u->host, &given) == 1 && inet_pton(AF_INET6, "fd00:ec2::23", &pod_identity) == 1 &&
           memcmp(&given, &pod_identity, sizeof(given)) == 0;
}

rs_status rs_creds_container_url(char *out, size_t out_len, rs_error *err)
{
    out[0] = '\0';
    const char *relative = env_nonempty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = env_nonempty("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    const char *var = relative ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" : "AWS_CONTAINER_CREDENTIALS_FULL_URI";
    const char *value = relative ? relative : full;
    if (!value) {
        return RS_OK;
    }
    if (has_control_chars(value, strlen(value)) || strchr(value, ' ')) {
        return rs_error_set(err, RS_ERR_CONFIG, "%s holds spaces or control characters", var);
    }
    if (relative && relative[0] != '/') {
        return rs_error_set(err, RS_ERR_CONFIG, "%s must be a path starting with '/'", var);
    }
    int n = relative ? snprintf(out, out_len, "%s%s", CONTAINER_RELATIVE_BASE, relative)
                     : snprintf(out, out_len, "%s", full);
    if (n < 0 || (size_t)n >= out_len) {
        out[0] = '\0';
        return rs_error_set(err, RS_ERR_CONFIG, "%s is too long", var);
    }
    rs_url u;
    rs_error url_err;
    rs_error_clear(&url_err);
    /* Checked for the relative form too: "/x" appended to the base must still name the ECS host. */
    if (rs_url_parse(out, &u, &url_err) != RS_OK ||
        (relative ? strcmp(u.host, "169.254.170.2") != 0 || u.port != 0 : !container_url_allowed(&u))) {
        out[0] = '\0';
        return rs_error_set(err, RS_ERR_CONFIG,
                            "%s is not allowed: it must be an https:// URL, or http:// to a loopback address, "
                            "169.254.170.2, 169.254.170.23 or [fd00:ec2::23]%s%s",
                            var, url_err.message[0] ? " - " : "", url_err.message);
    }
    return RS_OK;
}

/* The Authorization header value for the container endpoint, from the token file (read on every call:
 * EKS rotates it) or the variable. A line break would let the value inject headers, so it is refused;
 * only the file's trailing newline is trimmed. *have is false when neither is set. */
static rs_status container_auth_token(char *out, size_t out_len, bool *have, rs_error *err)
{
    *have = false;
    out[0] = '\0';
    const char *file = env_nonempty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *source = file ? "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE" : "AWS_CONTAINER_AUTHORIZATION_TOKEN";
    char *buf = NULL;
    size_t len = 0;
    if (file) {
        bool absent;
        rs_error read_err;
        rs_error_clear(&read_err);
        rs_status st = rs_read_bounded_file(file, AUTH_TOKEN_FILE_MAX_BYTES, &buf, &len, &absent, &read_err);
        if (st != RS_OK || absent) {
            return rs_error_set(err, RS_ERR_CONFIG, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %s",
                                absent ? "the file does not exist" : read_err.message);
        }
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
            buf[--len] = '\0';
        }
    } else {
        const char *value = env_nonempty("AWS_CONTAINER_AUTHORIZATION_TOKEN");
        if (!value) {
            return RS_OK;
        }
        len = strlen(value);
        buf = malloc(len + 1);
        if (!buf) {
            return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
        }
        memcpy(buf, value, len + 1);
    }
    rs_status st = RS_OK;
    if (len == 0) {
        st = rs_error_set(err, RS_ERR_CONFIG, "the container authorization token from %s is empty", source);
    } else if (strlen(buf) != len || has_control_chars(buf, len)) {
        st = rs_error_set(err, RS_ERR_CONFIG,
                          "the container authorization token from %s contains a line break or control character",
                          source);
    } else if (len >= out_len) {
        st = rs_error_set(err, RS_ERR_CONFIG, "the container authorization token from %s is too long (%zu bytes)",
                          source, len);
    } else {
        memcpy(out, buf, len + 1);
        *have = true;
    }
    wipe_free(buf, len);
    return st;
}

static rs_status status_for_http(long http_status)
{
    if (http_status == 401 || http_status == 403) {
        return RS_ERR_AUTH;
    }
    if (http_status == 429) {
        return RS_ERR_THROTTLED;
    }
    if (http_status >= 500) {
        return RS_ERR_SERVICE;
    }
    if (http_status == 404) {
        return RS_ERR_NOT_FOUND;
    }
    return RS_ERR_REQUEST_FAILED;
}

/* A configured container endpoint that fails is an error, not a fall-through (as in the SDKs). */
static rs_status provider_container(const rs_creds_config *cfg, rs_credentials *out, chain_notes *notes,
                                    rs_error *err)
{
    char url[2048];
    rs_status st = rs_creds_container_url(url, sizeof(url), err);
    if (st != RS_OK) {
        return st;
    }
    if (!url[0]) {
        note_add(notes, "no container endpoint");
        return RS_OK;
    }
    /* Fits the HTTP layer's header line buffer with room for "Authorization: ". */
    char token[8000];
    bool have_token;
    st = container_auth_token(token, sizeof(token), &have_token, err);
    if (st != RS_OK) {
        return st;
    }
    rs_header auth = {"Authorization", token};
    metadata_timing timing = timing_for(cfg, CONTAINER_TIMEOUT_MS, CONTAINER_ATTEMPTS);
    rs_http_response resp;
    st = metadata_request("GET", url, have_token ? &auth : NULL, have_token ? 1 : 0, &timing, &resp, err);
    OPENSSL_cleanse(token, sizeof(token));
    if (st != RS_OK) {
        return error_prefixed(err, st, "container credentials endpoint");
    }
    if (resp.status != 200) {
        long http_status = resp.status;
        rs_http_response_free(&resp);
        st = rs_error_set(err, status_for_http(http_status), "container credentials endpoint answered HTTP %ld%s",
                          http_status,
                          (http_status == 401 || http_status == 403)
                              ? " (check AWS_CONTAINER_AUTHORIZATION_TOKEN or _TOKEN_FILE)" : "");
        err->http_status = http_status;
        return st;
    }
    st = creds_from_json(resp.body, resp.body_len, false, "container credentials endpoint", out, err);
    rs_http_response_free(&resp);
    if (st == RS_OK) {
        set_source(out, "container");
    }
    return st;
}

/* ---------- EC2 instance metadata (IMDS) ---------- */

typedef struct {
    char endpoint[512];          /* scheme://host[:port], no trailing slash */
    metadata_timing timing;
    bool v1_fallback;
    bool have_token;             /* false: IMDSv1 (only after an allowed fallback) */
    bool token_refetched;
    char token[512];
} imds_client;

static bool imds_disabled(void)
{
    return rs_env_true("AWS_EC2_METADATA_DISABLED");
}

static rs_status imds_open(imds_client *c, const rs_creds_config *cfg, rs_error *err)
{
    memset(c, 0, sizeof(*c));
    c->timing = timing_for(cfg, IMDS_TIMEOUT_MS, IMDS_ATTEMPTS);
    c->v1_fallback = cfg && cfg->imds_v1_fallback;
    const char *source = "the IMDS endpoint setting";
    const char *ep = (cfg && cfg->imds_endpoint && *cfg->imds_endpoint) ? cfg->imds_endpoint : NULL;
    if (!ep && (ep = env_nonempty("AWS_EC2_METADATA_SERVICE_ENDPOINT")) != NULL) {
        source = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
    }
    if (!ep) {
        const char *mode = env_nonempty("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
        if (mode && strcasecmp(mode, "IPv6") == 0) {
            ep = IMDS_DEFAULT_ENDPOINT_IPV6;
        } else if (!mode || strcasecmp(mode, "IPv4") == 0) {
            ep = IMDS_DEFAULT_ENDPOINT;
        } else {
            return rs_error_set(err, RS_ERR_CONFIG, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE must be IPv4 or IPv6");
        }
    }
    size_t len = strlen(ep);
    while (len > 0 && ep[len - 1] == '/') {
        len--;
    }
    if (len == 0 || len >= sizeof(c->endpoint)) {
        return rs_error_set(err, RS_ERR_CONFIG, "%s is empty or too long", source);
    }
    memcpy(c->endpoint, ep, len);
    c->endpoint[len] = '\0';
    rs_url u;
    rs_error url_err;
    rs_error_clear(&url_err);
    if (rs_url_parse(c->endpoint, &u, &url_err) != RS_OK) {
        return rs_error_set(err, RS_ERR_CONFIG, "%s: %s", source, url_err.message);
    }
    if (strcmp(u.path, "/") != 0 || strpbrk(c->endpoint + strlen(u.scheme) + 3, "/?#")) {
        return rs_error_set(err, RS_ERR_CONFIG, "%s must be scheme://host[:port] without a path", source);
    }
    if (strcmp(u.scheme, "http") == 0 && !rs_host_is_loopback(u.host) && !rs_host_is_metadata(u.host)) {
        return rs_error_set(err, RS_ERR_CONFIG,
                            "%s '%.200s' must use https://, or http:// to the metadata address or loopback",
                            source, c->endpoint);
    }
    return RS_OK;
}

/* The IMDSv2 session token. Whether a failure may fall back to IMDSv1 follows the SDKs (403, 404 and 405
 * mean the instance does not do tokens; a timeout is typical of a container behind a hop limit of 1),
 * but only when the configuration allows v1: v1 is what SSRF attacks against EC2 use. */
static rs_status imds_fetch_token(imds_client *c, rs_error *err)
{
    char url[600];
    snprintf(url, sizeof(url), "%s/latest/api/token", c->endpoint);
    rs_header ttl = {"X-aws-ec2-metadata-token-ttl-seconds", IMDS_TOKEN_TTL_SECONDS};
    rs_http_response resp;
    OPENSSL_cleanse(c->token, sizeof(c->token));
    c->have_token = false;
    rs_status st = metadata_request("PUT", url, &ttl, 1, &c->timing, &resp, err);
    if (st == RS_ERR_TIMEOUT) {
        if (c->v1_fallback) {
            return RS_OK;
        }
        return error_prefixed(err, st,
                              "no answer to the IMDSv2 token request (not on EC2, or the answer was dropped by "
                              "the instance's metadata hop limit; the IMDSv1 fallback is off)");
    }
    if (st != RS_OK) {
        return st;  /* unreachable (refused, no route): IMDSv1 would not answer either */
    }
    long http_status = resp.status;
    if (http_status == 200) {
        span tok = span_trim((span){resp.body, resp.body_len});
        bool ok = tok.len > 0 && tok.len < sizeof(c->token);
        for (size_t i = 0; ok && i < tok.len; i++) {
            ok = tok.p[i] > 0x20 && tok.p[i] < 0x7f;
        }
        if (ok) {
            memcpy(c->token, tok.p, tok.len);
            c->token[tok.len] = '\0';
            c->have_token = true;
        }
        rs_http_response_free(&resp);
        return ok ? RS_OK : rs_error_set(err, RS_ERR_MALFORMED, "the IMDSv2 token answer is not a token");
    }
    rs_http_response_free(&resp);
    if (http_status == 403 || http_status == 404 || http_status == 405) {
        if (c->v1_fallback) {
            return RS_OK;
        }
        st = rs_error_set(err, RS_ERR_AUTH,
                          "%s refused the IMDSv2 token request (HTTP %ld); rdssecret requires IMDSv2 unless the "
                          "IMDSv1 fallback is allowed (rdssecret.imds_v1_fallback), or instance metadata is turned off",
                          c->endpoint, http_status);
    } else {
        st = rs_error_set(err, status_for_http(http_status), "%s answered the IMDSv2 token request with HTTP %ld",
                          c->endpoint, http_status);
    }
    err->http_status = http_status;
    return st;
}

/* GET a metadata path. A 401 with a token means the token expired: fetch a new one, once. */
static rs_status imds_get(imds_client *c, const char *path, rs_http_response *resp, rs_error *err)
{
    char url[1024];
    int n = snprintf(url, sizeof(url), "%s%s", c->endpoint, path);
    if (n < 0 || (size_t)n >= sizeof(url)) {
        return rs_error_set(err, RS_ERR_INTERNAL, "IMDS URL too long");
    }
    for (;;) {
        rs_header tok = {"X-aws-ec2-metadata-token", c->token};
        rs_status st = metadata_request("GET", url, c->have_token ? &tok : NULL, c->have_token ? 1 : 0, &c->timing,
                                        resp, err);
        if (st != RS_OK || resp->status != 401 || !c->have_token || c->token_refetched) {
            return st;
        }
        rs_http_response_free(resp);
        c->token_refetched = true;
        st = imds_fetch_token(c, err);
        if (st != RS_OK) {
            return st;
        }
    }
}

/* An error for a non-200 metadata answer; frees resp. */
static rs_status imds_answer_error(imds_client *c, const char *what, rs_http_response *resp, rs_error *err)
{
    long http_status = resp->status;
    rs_http_response_free(resp);
    rs_status st;
    if (http_status == 401 && !c->have_token) {
        st = rs_error_set(err, RS_ERR_AUTH, "%s: HTTP 401 without a token (this instance requires IMDSv2)", what);
    } else if (http_status == 404 && strcmp(what, "role lookup") == 0) {
        st = rs_error_set(err, RS_ERR_NOT_FOUND, "no IAM role is attached to the instance (HTTP 404)");
    } else {
        st = rs_error_set(err, status_for_http(http_status), "%s: HTTP %ld", what, http_status);
    }
    err->http_status = http_status;
    return st;
}

/* The IAM role name is used in a URL path: accept only the characters IAM allows in role names. */
static bool role_name_valid(span role)
{
    if (role.len == 0 || role.len > 128) {
        return false;
    }
    for (size_t i = 0; i < role.len; i++) {
        char ch = role.p[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  (ch != '\0' && strchr("+=,.@_-", ch) != NULL);
        if (!ok) {
            return false;
        }
    }
    return true;
}

static rs_status imds_credentials(imds_client *c, rs_credentials *out, rs_error *err)
{
    rs_status st = imds_fetch_token(c, err);
    if (st != RS_OK) {
        return st;
    }
    rs_http_response resp;
    st = imds_get(c, IMDS_CREDENTIALS_PATH, &resp, err);
    if (st != RS_OK) {
        return st;
    }
    if (resp.status != 200) {
        return imds_answer_error(c, "role lookup", &resp, err);
    }
    /* The listing has one role per line; an instance profile holds exactly one. */
    span role = {resp.body, strcspn(resp.body, "\n")};
    role = span_trim(role);
    char path[256];
    if (!role_name_valid(role)) {
        rs_http_response_free(&resp);
        return rs_error_set(err, RS_ERR_MALFORMED, "the IAM role name in the metadata is not valid");
    }
    snprintf(path, sizeof(path), "%s%.*s", IMDS_CREDENTIALS_PATH, (int)role.len, role.p);
    rs_http_response_free(&resp);
    st = imds_get(c, path, &resp, err);
    if (st != RS_OK) {
        return st;
    }
    if (resp.status != 200) {
        return imds_answer_error(c, "credentials for the instance role", &resp, err);
    }
    st = creds_from_json(resp.body, resp.body_len, true, "instance role credentials", out, err);
    rs_http_response_free(&resp);
    if (st == RS_OK) {
        set_source(out, "imds");
    }
    return st;
}

/* The last provider: whatever goes wrong becomes part of the "no credentials" message (as in the SDKs,
 * where IMDS failing means no credentials), except a bad endpoint setting, which is a configuration error. */
static rs_status provider_imds(const rs_creds_config *cfg, rs_credentials *out, chain_notes *notes, rs_error *err)
{
    if (imds_disabled()) {
        note_add(notes, "IMDS disabled (AWS_EC2_METADATA_DISABLED)");
        return RS_OK;
    }
    imds_client c;
    rs_status st = imds_open(&c, cfg, err);
    if (st == RS_OK) {
        rs_error sub;
        rs_error_clear(&sub);
        if (imds_credentials(&c, out, &sub) != RS_OK) {
            /* An unanswered IMDS means "not on EC2" and the chain reports what it tried; a certificate that fails
             * on an https metadata endpoint (always an explicit setting) is interception or a mistake: say so. */
            if (sub.status == RS_ERR_TLS) {
                *err = sub;
                st = RS_ERR_TLS;
            } else {
                note_add(notes, "IMDS: %s", sub.message);
            }
        }
    }
    OPENSSL_cleanse(&c, sizeof(c));
    return st;
}

/* ---------- the chain ---------- */

rs_status rs_creds_resolve(const rs_creds_config *cfg, rs_credentials *out, rs_error *err)
{
    rs_error_clear(err);
    rs_credentials_wipe(out);
    chain_notes notes;
    memset(&notes, 0, sizeof(notes));

    rs_status st = provider_env(out, &notes, err);
    if (st == RS_OK && !out->access_key_id[0]) {
        st = provider_profile(cfg, out, &notes, err);
    }
    if (st == RS_OK && !out->access_key_id[0]) {
        st = provider_web_identity_guard(err);
    }
    if (st == RS_OK && !out->access_key_id[0]) {
        st = provider_container(cfg, out, &notes, err);
    }
    if (st == RS_OK && !out->access_key_id[0]) {
        st = provider_imds(cfg, out, &notes, err);
    }
    if (st == RS_OK && !out->access_key_id[0]) {
        st = rs_error_set(err, RS_ERR_NO_CREDENTIALS, "no AWS credentials: %s", notes.text);
    }
    if (st != RS_OK) {
        rs_credentials_wipe(out);
    } else {
        rs_error_clear(err);
    }
    return st;
}

/* ---------- the cache ---------- */

void rs_creds_provider_init(rs_creds_provider *p, const rs_creds_config *cfg)
{
    memset(p, 0, sizeof(*p));
    if (cfg) {
        p->config = *cfg;  /* the strings it points to must outlive the provider */
    }
}

rs_status rs_creds_provider_get(rs_creds_provider *p, time_t now, rs_credentials *out, rs_error *err)
{
    rs_error_clear(err);
    if (!rs_creds_need_refresh(&p->cached, now)) {
        *out = p->cached;
        return RS_OK;
    }
    rs_credentials fresh;
    rs_status st = rs_creds_resolve(&p->config, &fresh, err);
    if (st == RS_OK) {
        p->cached = fresh;
        *out = fresh;
        rs_credentials_wipe(&fresh);
        return RS_OK;
    }
    rs_credentials_wipe(&fresh);
    /* Inside the refresh margin the old credentials still work: an outage of the credential source
     * should not fail requests before AWS itself would refuse them. */
    if (p->cached.access_key_id[0] && (p->cached.expiration == 0 || now < p->cached.expiration)) {
        *out = p->cached;
        rs_error_clear(err);
        return RS_OK;
    }
    rs_credentials_wipe(&p->cached);
    rs_credentials_wipe(out);
    return st;
}

void rs_creds_provider_invalidate(rs_creds_provider *p)
{
    rs_credentials_wipe(&p->cached);
}

void rs_creds_provider_destroy(rs_creds_provider *p)
{
    rs_credentials_wipe(&p->cached);
    memset(&p->config, 0, sizeof(p->config));
}

/* ---------- region ---------- */

bool rs_region_is_valid(const char *name, size_t len)
{
    if (len == 0 || len > 63) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')) {
            return false;
        }
    }
    return true;
}

static bool region_valid(span r)
{
    return rs_region_is_valid(r.p, r.len);
}

static rs_status region_take(span r, const char *source, char out[64], rs_error *err)
{
    if (!region_valid(r)) {
        return rs_error_set(err, RS_ERR_CONFIG, "the region '%.*s' from %s is not a valid AWS region name",
                            (int)(r.len > 64 ? 64 : r.len), r.p, source);
    }
    memcpy(out, r.p, r.len);
    out[r.len] = '\0';
    return RS_OK;
}

static rs_status imds_region(imds_client *c, char out[64], rs_error *err)
{
    rs_status st = imds_fetch_token(c, err);
    if (st != RS_OK) {
        return st;
    }
    rs_http_response resp;
    st = imds_get(c, IMDS_REGION_PATH, &resp, err);
    if (st != RS_OK) {
        return st;
    }
    if (resp.status != 200) {
        return imds_answer_error(c, "region lookup", &resp, err);
    }
    span r = span_trim((span){resp.body, resp.body_len});
    if (region_valid(r)) {
        memcpy(out, r.p, r.len);
        out[r.len] = '\0';
    } else {
        st = rs_error_set(err, RS_ERR_MALFORMED, "the region in the metadata is not valid");
    }
    rs_http_response_free(&resp);
    return st;
}

rs_status rs_region_resolve(const char *explicit_region, const rs_creds_config *cfg, char out[64], rs_error *err)
{
    rs_error_clear(err);
    out[0] = '\0';
    if (explicit_region && *explicit_region) {
        return region_take(span_of(explicit_region), "the region setting", out, err);
    }
    static const char *const vars[] = {"AWS_REGION", "AWS_DEFAULT_REGION"};
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        const char *v = env_nonempty(vars[i]);
        if (v) {
            return region_take(span_of(v), vars[i], out, err);
        }
    }
    chain_notes notes;
    memset(&notes, 0, sizeof(notes));
    note_add(&notes, "AWS_REGION and AWS_DEFAULT_REGION not set");

    bool explicit_choice;
    const char *profile = profile_name(cfg, &explicit_choice);
    shared_file config;
    rs_status st = shared_file_load(&config, SHARED_CONFIG, profile, err);
    if (st == RS_OK) {
        span r = config.section.values[K_REGION];
        if (r.len > 0) {
            char where[300];
            snprintf(where, sizeof(where), "profile '%.64s' in %.200s", profile, config.path);
            st = region_take(r, where, out, err);
        } else if (!config.have_path) {
            note_add(&notes, "no config file (HOME not set)");
        } else {
            note_add(&notes, "no region for profile '%.64s' in %.150s%s", profile, config.path,
                     config.unreadable ? " (unreadable)" : "");
        }
    }
    shared_file_release(&config);
    if (st != RS_OK || out[0]) {
        return st;
    }

    if (imds_disabled()) {
        note_add(&notes, "IMDS disabled (AWS_EC2_METADATA_DISABLED)");
    } else {
        imds_client c;
        st = imds_open(&c, cfg, err);
        if (st == RS_OK) {
            rs_error sub;
            rs_error_clear(&sub);
            if (imds_region(&c, out, &sub) != RS_OK) {
                if (sub.status == RS_ERR_TLS) {
                    *err = sub;
                    OPENSSL_cleanse(&c, sizeof(c));
                    return RS_ERR_TLS;
                }
                note_add(&notes, "IMDS: %s", sub.message);
            }
        }
        OPENSSL_cleanse(&c, sizeof(c));
        if (st != RS_OK || out[0]) {
            return st;
        }
    }
    return rs_error_set(err, RS_ERR_NO_REGION,
                        "no AWS region: set rdssecret.region in php.ini or the AWS_REGION environment variable "
                        "(tried: %s)", notes.text);
}
