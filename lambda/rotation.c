/* The rotation steps for MySQL/MariaDB secrets, with the checks Secrets Manager expects before each step.
 *
 * The safety argument (what "the database accepts AWSCURRENT or AWSPENDING at every moment" rests on):
 *
 * Single user (one account U whose password rotates; P1 = AWSCURRENT's password, P2 = AWSPENDING's):
 *  - createSecret only writes Secrets Manager: P2 is stored under the token with AWSPENDING before the database
 *    ever sees it. The database still holds P1 = AWSCURRENT. A retry finds the stored value and does nothing,
 *    so a token never gets a second password (a concurrent writer loses with ResourceExists and re-reads).
 *  - setSecret first tries P2: if it logs in, the change already happened (a retry after a crash). Otherwise it
 *    logs in with P1 (or AWSPREVIOUS, the recovery path when AWSCURRENT was overwritten by hand) and changes
 *    the password to P2 in ONE statement. The server applies it atomically: before it the database holds
 *    P1 = AWSCURRENT, after it P2 = AWSPENDING; a crash at any instruction leaves one or the other. P2 can
 *    only come from Secrets Manager (re-read at every step), so the database never holds a password that
 *    neither label holds. On MySQL 8.0.14+ with APPLICATION_PASSWORD_ADMIN the old password stays valid
 *    (RETAIN CURRENT PASSWORD), so AWSCURRENT keeps working through the window too; after finishSecret that
 *    secondary password is AWSPREVIOUS's (still known to Secrets Manager) until the next rotation's RETAIN
 *    replaces it or, with DISCARD_OLD_PASSWORD=finish_secret, finishSecret discards it once AWSCURRENT has moved.
 *    On MariaDB, older MySQL or without the privilege, clients on AWSCURRENT fail between setSecret and
 *    finishSecret (the log line says so; rdssecret's WordPress drop-in retries with AWSPENDING then).
 *  - testSecret only reads. finishSecret moves AWSCURRENT onto the token in one UpdateSecretVersionStage call:
 *    before it AWSPENDING = P2 = database, after it AWSCURRENT = P2 = database. It then removes AWSPENDING
 *    from that version (now AWSCURRENT), so no stray AWSPENDING can block the next rotation; a crash between
 *    the two calls leaves AWSPENDING on the AWSCURRENT version, which blocks nothing and which the next
 *    finishSecret call (or a retry) removes.
 * Alternating users (U and U_clone; the master secret's account changes passwords):
 *  - AWSCURRENT's account is never touched during its own rotation: setSecret only creates or changes the
 *    OTHER account, so AWSCURRENT works throughout, and after finishSecret the old account (now AWSPREVIOUS)
 *    still works until the next rotation's setSecret changes it.
 *  - A clone is created with a throwaway password, gets its TLS requirements, limits, grants and default roles,
 *    and only then the pending password. So "AWSPENDING logs in" implies "the grants are there": a crash after
 *    CREATE USER is repaired by the retry (the pending login fails, the grants are replayed, the password set).
 *    An existing other user (AWSPREVIOUS's, about to get the pending password) converges: what it holds
 *    beyond the current user is revoked first, then the current user's grants are granted, then the password.
 * Deadlines: no change (PutSecretValue, the password change, UpdateSecretVersionStage) starts with less than
 * DEADLINE_RESERVE_MS left before the Lambda deadline, and every network wait is bounded by the time left, so
 * a step fails with an answer rather than being frozen mid-change; each change is a single atomic call anyway. */
#include "rotation.h"

#include <cJSON.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mysql_db.h"
#include "runtime.h"
#include "secret.h"

static const char *const step_names[RL_STEP_COUNT] = {"createSecret", "setSecret", "testSecret", "finishSecret"};
static const char *const step_snake_names[RL_STEP_COUNT] = {"create_secret", "set_secret", "test_secret",
                                                            "finish_secret"};

bool rl_step_parse(const char *name, rl_step *out)
{
    for (int i = 0; i < RL_STEP_COUNT; i++) {
        if (name && (strcmp(name, step_names[i]) == 0 || strcmp(name, step_snake_names[i]) == 0)) {
            *out = (rl_step)i;
            return true;
        }
    }
    return false;
}

const char *rl_step_name(rl_step step)
{
    return step < RL_STEP_COUNT ? step_names[step] : "unknown";
}

static char *event_string(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) && v->valuestring ? strdup(v->valuestring) : NULL;
}

rs_status rl_event_parse(const char *body, size_t len, rl_event *out, rs_error *err)
{
    memset(out, 0, sizeof(*out));
    cJSON *event = body ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *step = cJSON_GetObjectItemCaseSensitive(event, "Step");
    const char *step_name = cJSON_IsString(step) ? step->valuestring : NULL;
    if (!cJSON_IsObject(event) || !rl_step_parse(step_name, &out->step)) {
        cJSON_Delete(event);
        return rs_error_set(err, RS_ERR_INVALID_PARAMETER, "the event is not a Secrets Manager rotation event (Step %s)",
                            step_name ? "unknown" : "missing");
    }
    out->secret_id = event_string(event, "SecretId");
    out->token = event_string(event, "ClientRequestToken");
    out->rotation_token = event_string(event, "RotationToken");
    bool complete = (out->secret_id || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(event, "SecretId"))) &&
                    (out->token || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(event, "ClientRequestToken"))) &&
                    (out->rotation_token ||
                     !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(event, "RotationToken")));
    cJSON_Delete(event);
    if (!complete) {
        rl_event_free(out);
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    return RS_OK;
}

void rl_event_free(rl_event *ev)
{
    free(ev->secret_id);
    free(ev->token);
    free(ev->rotation_token);
    memset(ev, 0, sizeof(*ev));
}

rs_status rl_new_token(char out[37], rs_error *err)
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof(b)) != 1) {
        return rs_error_set(err, RS_ERR_INTERNAL, "no randomness for a version token");
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
             b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return RS_OK;
}

/* --- one step's context ---------------------------------------------------------------------------- */

typedef struct {
    rl_rotation *r;
    rl_step step;
    const char *token;
    const char *rotation_token;
    rl_result *res;
    rs_secret_description desc;
    const char *arn;              /* desc.arn once described, else the id given */
    char strategy[16];            /* "single_user" / "alternating_users" once known */
    char db_tls[32];              /* TLS version of the last database session, "none" for plain */
    const char *dual_password;    /* single-user setSecret/finishSecret: what happened to the old password */
} step_ctx;

/* Record a failure: error type for the Runtime API, message from err. Returns err->status. */
static rs_status fail(step_ctx *c, const char *type, rs_error *err)
{
    /* A deadline refusal stays one, whatever the caller's own reading of the failure. */
    if (strcmp(c->res->error_type, "Rotation.DeadlineExceeded") != 0) {
        snprintf(c->res->error_type, sizeof(c->res->error_type), "%s", type);
    }
    return err->status == RS_OK ? (err->status = RS_ERR_INTERNAL) : err->status;
}

/* The error type for a failed Secrets Manager call. */
static const char *sm_error_type(rs_status st)
{
    switch (st) {
    case RS_ERR_THROTTLED:
        return "Rotation.SecretsManagerThrottled";
    case RS_ERR_SERVICE:
        return "Rotation.SecretsManagerUnavailable";
    case RS_ERR_CONNECT:
    case RS_ERR_TIMEOUT:
    case RS_ERR_TLS:
        return "Rotation.SecretsManagerUnreachable";
    case RS_ERR_ACCESS_DENIED:
    case RS_ERR_AUTH:
    case RS_ERR_DECRYPTION:
        return "Rotation.SecretsManagerAccessDenied";
    case RS_ERR_NOT_FOUND:
        return "Rotation.SecretNotFound";
    case RS_ERR_NO_CREDENTIALS:
    case RS_ERR_NO_REGION:
    case RS_ERR_CONFIG:
        return "Rotation.Configuration";
    default:
        return "Rotation.SecretsManagerError";
    }
}

static const char *db_error_type(rs_status st)
{
    switch (st) {
    case RS_ERR_ACCESS_DENIED:
        return "Rotation.DatabaseLoginRefused";
    case RS_ERR_CONNECT:
    case RS_ERR_TIMEOUT:
        return "Rotation.DatabaseUnreachable";
    case RS_ERR_TLS:
        return "Rotation.DatabaseTLS";
    case RS_ERR_CONFIG:
        return "Rotation.Configuration";
    default:
        return "Rotation.DatabaseError";
    }
}

/* Prefix the message already in err with context (bounded copies: the result may be cut, never overrun). */
static void err_prefix(rs_error *err, const char *fmt, const char *arg)
{
    char old[sizeof(err->message)];
    memcpy(old, err->message, sizeof(old));
    old[sizeof(old) - 1] = '\0';
    char prefix[256];
    snprintf(prefix, sizeof(prefix), fmt, arg);
    size_t cap = sizeof(err->message) - 1;
    size_t n = strlen(prefix);
    if (n > cap) {
        n = cap;
    }
    memcpy(err->message, prefix, n);
    size_t used = n;
    if (used + 2 <= cap) {
        memcpy(err->message + used, ": ", 2);
        used += 2;
    }
    size_t m = strlen(old);
    if (m > cap - used) {
        m = cap - used;
    }
    memcpy(err->message + used, old, m);
    err->message[used + m] = '\0';
}

/* --- deadline -------------------------------------------------------------------------------------- */

/* deadline_ms is 0 (none) or 1..RL_DEADLINE_MAX_MS (rl_parse_deadline_ms), so the subtraction cannot overflow;
 * anything else is taken as no time left rather than risk it. */
static long long time_left_ms(const rl_rotation *r)
{
    if (!r->deadline_ms) {
        return LLONG_MAX;
    }
    if (r->deadline_ms < 0 || r->deadline_ms > RL_DEADLINE_MAX_MS) {
        return 0;
    }
    return r->deadline_ms - rl_now_ms();
}

/* Bound the next Secrets Manager call (all its attempts) by the time left. */
static rs_status sm_budget(step_ctx *c, rs_error *err)
{
    rl_rotation *r = c->r;
    rs_sm_config *sc = &r->sm->config;
    sc->max_attempts = 3;
    sc->timeout_ms = r->cfg->sm_timeout_ms;
    sc->connect_timeout_ms = r->cfg->sm_connect_timeout_ms;
    long long left = time_left_ms(r);
    if (left == LLONG_MAX) {
        return RS_OK;
    }
    left -= 300;  /* time to post the answer */
    if (left < 200) {
        rs_error_set(err, RS_ERR_TIMEOUT, "the Lambda deadline is too close to call Secrets Manager (%lld ms left); "
                                          "nothing was changed by this call",
                     left + 300);
        return fail(c, "Rotation.DeadlineExceeded", err);
    }
    /* Three attempts plus the backoff between them (full jitter, at most 100 + 200 ms with the core's base). */
    long per = (long)((left - 300) / 3);
    if (per < 300) {
        sc->max_attempts = 1;
        per = (long)left;
    }
    if (per < sc->timeout_ms) {
        sc->timeout_ms = per;
    }
    if (sc->connect_timeout_ms > sc->timeout_ms) {
        sc->connect_timeout_ms = sc->timeout_ms;
    }
    return RS_OK;
}

/* Refuse to start a change that might not be finished (and answered) before the deadline. */
static rs_status guard_change(step_ctx *c, const char *what, rs_error *err)
{
    long long left = time_left_ms(c->r);
    if (left != LLONG_MAX && left < c->r->cfg->deadline_reserve_ms) {
        rs_error_set(err, RS_ERR_TIMEOUT,
                     "only %lld ms left before the Lambda deadline (DEADLINE_RESERVE_MS is %ld): not starting %s; "
                     "nothing was changed and the step is safe to retry (raise the function timeout)",
                     left, c->r->cfg->deadline_reserve_ms, what);
        return fail(c, "Rotation.DeadlineExceeded", err);
    }
    return RS_OK;
}

/* --- secrets --------------------------------------------------------------------------------------- */

typedef struct {
    rs_secret_value value;
    rs_secret_fields fields;
    const char *host, *username, *password, *dbname, *masterarn;
    unsigned int port;
    rl_tls_mode tls;
} db_secret;

static void db_secret_free(db_secret *s)
{
    rs_secret_value_free(&s->value);
    rs_secret_fields_free(&s->fields);
    memset(s, 0, sizeof(*s));
}

static const char *field(const db_secret *s, const char *key)
{
    const rs_secret_field *f = rs_secret_fields_get(&s->fields, key);
    return f && f->value ? f->value : NULL;
}

/* Check and index the fields of a database secret. `what` names it in messages ("AWSCURRENT", ...). */
static rs_status index_fields(step_ctx *c, db_secret *s, const char *what, rs_error *err)
{
    if (!s->value.secret_string) {
        rs_error_set(err, RS_ERR_UNSUPPORTED, "the %s secret value is binary; a database secret is a JSON object",
                     what);
        return fail(c, "Rotation.InvalidSecret", err);
    }
    cJSON *probe = cJSON_ParseWithLength(s->value.secret_string, s->value.secret_string_len);
    bool is_object = cJSON_IsObject(probe);
    cJSON_Delete(probe);
    if (!is_object) {
        rs_error_set(err, RS_ERR_MALFORMED, "the %s secret value is not a JSON object", what);
        return fail(c, "Rotation.InvalidSecret", err);
    }
    if (rs_secret_fields_parse(s->value.secret_string, s->value.secret_string_len, &s->fields, err) != RS_OK) {
        return fail(c, "Rotation.InvalidSecret", err);
    }
    s->host = field(s, "host");
    s->username = field(s, "username");
    s->password = field(s, "password");
    s->dbname = field(s, "dbname");
    s->masterarn = field(s, "masterarn");
    if (s->masterarn && !*s->masterarn) {
        s->masterarn = NULL;
    }
    const char *missing = !s->host || !*s->host ? "host" : !s->username || !*s->username ? "username"
                          : !s->password || !*s->password                                ? "password"
                                                                                         : NULL;
    if (missing) {
        rs_error_set(err, RS_ERR_MALFORMED, "the %s secret has no '%s' field", what, missing);
        return fail(c, "Rotation.InvalidSecret", err);
    }
    const char *engine = field(s, "engine");
    if (engine && *engine && strcasecmp(engine, "mysql") != 0 && strcasecmp(engine, "mariadb") != 0 &&
        strcasecmp(engine, "aurora-mysql") != 0 && strcasecmp(engine, "aurora") != 0) {
        rs_error_set(err, RS_ERR_UNSUPPORTED, "the %s secret is for engine '%.40s'; this function rotates mysql and "
                                              "mariadb",
                     what, engine);
        return fail(c, "Rotation.InvalidSecret", err);
    }
    s->port = 3306;
    const char *port = field(s, "port");
    if (port && *port) {
        char *end = NULL;
        long p = strtol(port, &end, 10);
        if (!end || *end || p < 1 || p > 65535) {
            rs_error_set(err, RS_ERR_MALFORMED, "the %s secret has an invalid 'port'", what);
            return fail(c, "Rotation.InvalidSecret", err);
        }
        s->port = (unsigned int)p;
    }
    const char *ssl = field(s, "ssl");
    if (!ssl || !*ssl) {
        s->tls = RL_TLS_PREFERRED;
    } else if (strcasecmp(ssl, "true") == 0) {
        s->tls = RL_TLS_REQUIRED;
    } else if (strcasecmp(ssl, "false") == 0) {
        s->tls = RL_TLS_DISABLED;
    } else {
        rs_error_set(err, RS_ERR_MALFORMED, "the %s secret has 'ssl' = '%.16s'; use true or false", what, ssl);
        return fail(c, "Rotation.InvalidSecret", err);
    }
    return RS_OK;
}

/* GetSecretValue + parsing. *absent (may be NULL) is set instead of failing when the version has no value. */
static rs_status load_secret(step_ctx *c, const char *secret_id, const char *version_id, const char *stage,
                             const char *what, db_secret *out, bool *absent, rs_error *err)
{
    memset(out, 0, sizeof(*out));
    if (absent) {
        *absent = false;
    }
    if (sm_budget(c, err) != RS_OK) {
        return err->status;
    }
    rs_status st = rs_sm_get_secret_value(c->r->sm, secret_id, version_id, stage, &out->value, err);
    if (st == RS_ERR_NOT_FOUND && absent) {
        *absent = true;
        rs_error_clear(err);
        return RS_OK;
    }
    if (st != RS_OK) {
        err_prefix(err, "reading the %s secret", what);
        return fail(c, sm_error_type(st), err);
    }
    st = index_fields(c, out, what, err);
    if (st != RS_OK) {
        db_secret_free(out);
    }
    return st;
}

/* --- database -------------------------------------------------------------------------------------- */

static rs_status db_connect(step_ctx *c, const db_secret *s, const char *user, const char *password, rl_db *db,
                            rs_error *err)
{
    const rl_config *cfg = c->r->cfg;
    rl_db_params p = {
        .host = s->host, .port = s->port, .user = user, .password = password, .dbname = s->dbname,
        .tls = s->tls, .ca_file = cfg->db_ca_file, .ca_file_is_default = !cfg->db_ca_file_set,
        .verify_host = cfg->db_verify_host,
        .connect_timeout_s = (unsigned int)cfg->db_connect_timeout_s,
        .query_timeout_s = (unsigned int)cfg->db_query_timeout_s, .plugin_dir = cfg->db_plugin_dir};
    long long left = time_left_ms(c->r);
    if (left != LLONG_MAX) {
        long long avail_s = (left - 500) / 1000;
        if (avail_s < 1) {
            rs_error_set(err, RS_ERR_TIMEOUT, "the Lambda deadline is too close to connect to the database (%lld ms "
                                              "left); nothing was changed",
                         left);
            return fail(c, "Rotation.DeadlineExceeded", err);
        }
        if (p.connect_timeout_s > avail_s) {
            p.connect_timeout_s = (unsigned int)avail_s;
        }
        if (p.query_timeout_s > avail_s) {
            p.query_timeout_s = (unsigned int)avail_s;
        }
    }
    rs_status st = rl_db_connect(db, &p, err);
    if (st == RS_OK) {
        snprintf(c->db_tls, sizeof(c->db_tls), "%s", db->tls_version[0] ? db->tls_version : "none");
    }
    return st;
}

/* 'name_clone' for 'name', and 'name' for 'name_clone'. */
static rs_status other_username(step_ctx *c, const char *user, char *out, size_t out_len, rs_error *err)
{
    size_t len = strlen(user);
    static const char suffix[] = "_clone";
    size_t slen = sizeof(suffix) - 1;
    if (len > slen && strcmp(user + len - slen, suffix) == 0) {
        snprintf(out, out_len, "%.*s", (int)(len - slen), user);
        return RS_OK;
    }
    if (len + slen > (size_t)c->r->cfg->username_max_length || len + slen >= out_len) {
        rs_error_set(err, RS_ERR_INVALID_PARAMETER,
                     "the alternate user name '%.80s_clone' would have %zu characters, more than the limit of %d "
                     "(USERNAME_MAX_LENGTH; MySQL allows 32, MariaDB 80): use a shorter username",
                     user, len + slen, c->r->cfg->username_max_length);
        return fail(c, "Rotation.UsernameTooLong", err);
    }
    snprintf(out, out_len, "%s%s", user, suffix);
    return RS_OK;
}

/* --- the steps ------------------------------------------------------------------------------------- */

static rs_status create_secret(step_ctx *c, rs_error *err)
{
    db_secret cur, pending;
    bool absent = false;
    rs_status st = load_secret(c, c->arn, NULL, "AWSCURRENT", "AWSCURRENT", &cur, NULL, err);
    if (st != RS_OK) {
        return st;
    }
    snprintf(c->strategy, sizeof(c->strategy), "%s", cur.masterarn ? "alternating" : "single_user");
    st = load_secret(c, c->arn, c->token, "AWSPENDING", "AWSPENDING", &pending, &absent, err);
    if (st != RS_OK) {
        db_secret_free(&cur);
        return st;
    }
    if (!absent) {
        db_secret_free(&pending);
        db_secret_free(&cur);
        snprintf(c->res->message, sizeof(c->res->message), "the AWSPENDING value already exists for this token");
        snprintf(c->res->outcome, sizeof(c->res->outcome), "nothing_to_do");
        return RS_OK;
    }

    char new_user[256] = "";
    if (cur.masterarn && (st = other_username(c, cur.username, new_user, sizeof(new_user), err)) != RS_OK) {
        db_secret_free(&cur);
        return st;
    }
    char *password = NULL;
    if ((st = sm_budget(c, err)) != RS_OK) {
        db_secret_free(&cur);
        return st;
    }
    st = rs_sm_get_random_password(c->r->sm, &c->r->cfg->password, &password, err);
    if (st != RS_OK) {
        db_secret_free(&cur);
        err_prefix(err, "%s", "GetRandomPassword");
        return fail(c, sm_error_type(st), err);
    }

    /* The pending value is AWSCURRENT's JSON with a new password (and the other username): every other
     * member, its type and its order are kept. */
    cJSON *json = cJSON_ParseWithLength(cur.value.secret_string, cur.value.secret_string_len);
    bool ok = json != NULL;
    cJSON *pw_item = cJSON_CreateString(password);
    rs_secure_free(password);
    ok = ok && pw_item;
    if (ok) {
        if (cJSON_GetObjectItemCaseSensitive(json, "password")) {
            ok = cJSON_ReplaceItemInObjectCaseSensitive(json, "password", pw_item);
        } else {
            ok = cJSON_AddItemToObject(json, "password", pw_item);
        }
        pw_item = NULL;
    }
    if (ok && new_user[0]) {
        cJSON *u = cJSON_CreateString(new_user);
        ok = u && cJSON_ReplaceItemInObjectCaseSensitive(json, "username", u);
    }
    char *text = ok ? cJSON_PrintUnformatted(json) : NULL;
    cJSON_Delete(pw_item);
    cJSON_Delete(json);
    db_secret_free(&cur);
    if (!text) {
        rs_error_set(err, RS_ERR_INTERNAL, "out of memory building the pending secret");
        return fail(c, "Rotation.Internal", err);
    }
    if ((st = guard_change(c, "PutSecretValue", err)) != RS_OK || (st = sm_budget(c, err)) != RS_OK) {
        rs_secure_free(text);
        return st;
    }
    static const char *const stages[] = {"AWSPENDING"};
    st = rs_sm_put_secret_value(c->r->sm, c->arn, c->token, text, stages, 1, c->rotation_token, err);
    rs_secure_free(text);
    if (st == RS_ERR_CONFLICT) {
        /* Another invocation stored its value for this token first: that value is the pending one. */
        rs_error clash = *err;
        rs_error_clear(err);
        st = load_secret(c, c->arn, c->token, "AWSPENDING", "AWSPENDING", &pending, &absent, err);
        if (st == RS_OK && !absent) {
            db_secret_free(&pending);
            snprintf(c->res->message, sizeof(c->res->message),
                     "another invocation stored the AWSPENDING value for this token first; keeping it");
            snprintf(c->res->outcome, sizeof(c->res->outcome), "nothing_to_do");
            return RS_OK;
        }
        *err = clash;
        st = clash.status;
    }
    if (st != RS_OK) {
        err_prefix(err, "%s", "PutSecretValue");
        return fail(c, sm_error_type(st), err);
    }
    snprintf(c->res->message, sizeof(c->res->message), "stored a new AWSPENDING value%s%s%s",
             new_user[0] ? " for user '" : "", new_user, new_user[0] ? "'" : "");
    return RS_OK;
}

/* Single user: log in as the user itself (AWSCURRENT, else AWSPREVIOUS) and change its own password. */
static rs_status set_single_user(step_ctx *c, const db_secret *cur, const db_secret *pending, rs_error *err)
{
    if (strcmp(cur->username, pending->username) != 0) {
        rs_error_set(err, RS_ERR_INVALID_PARAMETER, "AWSPENDING names user '%.80s' but AWSCURRENT names '%.80s' and "
                                                    "the secret has no masterarn (single-user rotation)",
                     pending->username, cur->username);
        return fail(c, "Rotation.InvalidSecret", err);
    }
    rl_db db;
    db_secret prev;
    bool have_prev = false, via_previous = false;
    const char *login_password = cur->password;
    memset(&prev, 0, sizeof(prev));
    rs_status st = db_connect(c, cur, cur->username, cur->password, &db, err);
    if (st == RS_ERR_ACCESS_DENIED) {
        /* AWSCURRENT was overwritten without changing the database: the database may still hold AWSPREVIOUS.
         * Setting AWSPENDING from there repairs the secret rather than widening any gap. */
        rs_error current_err = *err;
        bool absent = true;
        rs_error_clear(err);
        if (load_secret(c, c->arn, NULL, "AWSPREVIOUS", "AWSPREVIOUS", &prev, &absent, err) == RS_OK && !absent) {
            have_prev = true;
            if (strcmp(prev.username, cur->username) == 0 && strcmp(prev.host, cur->host) == 0 &&
                db_connect(c, cur, cur->username, prev.password, &db, err) == RS_OK) {
                login_password = prev.password;
                via_previous = true;
                st = RS_OK;
            }
        }
        if (st != RS_OK) {
            if (have_prev) {
                db_secret_free(&prev);
            }
            *err = current_err;
            err_prefix(err, "%s", "neither AWSPENDING nor AWSCURRENT (nor AWSPREVIOUS) can log in");
            return fail(c, db_error_type(RS_ERR_ACCESS_DENIED), err);
        }
    } else if (st != RS_OK) {
        err_prefix(err, "%s", "logging in with AWSCURRENT");
        return fail(c, db_error_type(st), err);
    }
    rl_dual dual = RL_DUAL_UNSUPPORTED;
    st = guard_change(c, "the password change", err);
    if (st == RS_OK) {
        st = rl_db_set_own_password(&db, pending->password, login_password, &dual, err);
        if (st != RS_OK) {
            fail(c, db_error_type(st), err);
        }
    }
    rl_db_close(&db);
    if (have_prev) {
        db_secret_free(&prev);
    }
    if (st != RS_OK) {
        return st;
    }
    const char *how;
    switch (dual) {
    case RL_DUAL_RETAINED:
        c->dual_password = "retained";
        how = c->r->cfg->discard_old_password_at_finish
                  ? "; the old password stays valid as the secondary one (MySQL dual password), so clients on "
                    "AWSCURRENT keep working, until finishSecret (DISCARD_OLD_PASSWORD=finish_secret)"
                  : "; the old password stays valid as the secondary one (MySQL dual password), so clients on "
                    "AWSCURRENT keep working, until the next rotation replaces it";
        break;
    case RL_DUAL_NO_PRIVILEGE:
        c->dual_password = "no_privilege";
        how = "; the old password was NOT retained: the account lacks APPLICATION_PASSWORD_ADMIN, so clients on "
              "AWSCURRENT are refused until finishSecret (grant it for a zero-downtime rotation with MySQL dual "
              "passwords)";
        break;
    default:
        c->dual_password = "unsupported";
        how = db.is_mariadb ? "; clients on AWSCURRENT are refused until finishSecret (MariaDB has no dual "
                              "passwords)"
                            : "; clients on AWSCURRENT are refused until finishSecret (dual passwords need MySQL "
                              "8.0.14+)";
        break;
    }
    snprintf(c->res->message, sizeof(c->res->message), "password of '%.80s' changed%s%s", cur->username,
             via_previous ? " after logging in with AWSPREVIOUS (AWSCURRENT did not log in)" : "", how);
    return RS_OK;
}

/* Alternating users: log in as the master and create or refresh the other user. */
static rs_status set_alternating(step_ctx *c, const db_secret *cur, const db_secret *pending, rs_error *err)
{
    char expected[256];
    rs_status st = other_username(c, cur->username, expected, sizeof(expected), err);
    if (st != RS_OK) {
        return st;
    }
    if (strcmp(expected, pending->username) != 0) {
        rs_error_set(err, RS_ERR_INVALID_PARAMETER, "AWSPENDING names user '%.80s'; alternating from '%.80s' it must "
                                                    "be '%.80s'",
                     pending->username, cur->username, expected);
        return fail(c, "Rotation.InvalidSecret", err);
    }
    db_secret master;
    if ((st = load_secret(c, pending->masterarn, NULL, "AWSCURRENT", "master", &master, NULL, err)) != RS_OK) {
        return st;
    }
    if (strcmp(master.host, pending->host) != 0) {
        rs_error_set(err, RS_ERR_INVALID_PARAMETER, "the master secret's host '%.200s' is not the host of the "
                                                    "secret being rotated",
                     master.host);
        db_secret_free(&master);
        return fail(c, "Rotation.InvalidSecret", err);
    }
    /* The master's own TLS setting and port apply to its login. */
    rl_db db;
    st = db_connect(c, &master, master.username, master.password, &db, err);
    if (st != RS_OK) {
        db_secret_free(&master);
        err_prefix(err, "%s", "logging in with the master secret");
        return fail(c, db_error_type(st), err);
    }
    db_secret_free(&master);
    if ((st = guard_change(c, "the user changes", err)) != RS_OK) {
        rl_db_close(&db);
        return st;
    }
    size_t hosts = 0;
    st = rl_db_sync_clone(&db, cur->username, pending->username, pending->password, &hosts, err);
    rl_db_close(&db);
    if (st != RS_OK) {
        return fail(c, st == RS_ERR_NOT_FOUND ? "Rotation.UserNotFound" : db_error_type(st), err);
    }
    snprintf(c->res->message, sizeof(c->res->message), "user '%.80s' given the pending password on %zu host(s), "
                                                       "with the grants and TLS requirements of '%.80s'",
             pending->username, hosts, cur->username);
    return RS_OK;
}

static rs_status set_secret(step_ctx *c, rs_error *err)
{
    db_secret cur, pending;
    bool absent = false;
    rs_status st = load_secret(c, c->arn, NULL, "AWSCURRENT", "AWSCURRENT", &cur, NULL, err);
    if (st != RS_OK) {
        return st;
    }
    st = load_secret(c, c->arn, c->token, "AWSPENDING", "AWSPENDING", &pending, &absent, err);
    if (st == RS_OK && absent) {
        rs_error_set(err, RS_ERR_NOT_FOUND, "the AWSPENDING version has no value yet: createSecret must run first");
        st = fail(c, "Rotation.PendingMissing", err);
    }
    if (st != RS_OK) {
        db_secret_free(&cur);
        return st;
    }
    snprintf(c->strategy, sizeof(c->strategy), "%s", pending.masterarn ? "alternating" : "single_user");
    if (strcmp(cur.host, pending.host) != 0) {
        rs_error_set(err, RS_ERR_INVALID_PARAMETER, "the AWSPENDING host differs from the AWSCURRENT host: refusing "
                                                    "to set a password on another server");
        st = fail(c, "Rotation.InvalidSecret", err);
        goto done;
    }

    /* Already done (a retry after a crash or a lost answer)? */
    rl_db db;
    st = db_connect(c, &pending, pending.username, pending.password, &db, err);
    if (st == RS_OK) {
        rl_db_close(&db);
        snprintf(c->res->message, sizeof(c->res->message), "AWSPENDING already logs in: nothing to change");
        snprintf(c->res->outcome, sizeof(c->res->outcome), "nothing_to_do");
        goto done;
    }
    if (st != RS_ERR_ACCESS_DENIED) {
        /* Unreachable, TLS or plugin trouble: trying other credentials would only hide the cause. */
        err_prefix(err, "%s", "logging in with AWSPENDING");
        st = fail(c, db_error_type(st), err);
        goto done;
    }
    rs_error_clear(err);
    st = pending.masterarn ? set_alternating(c, &cur, &pending, err) : set_single_user(c, &cur, &pending, err);
    if (st != RS_OK) {
        goto done;
    }
    /* The change must make AWSPENDING work from here (e.g. a user whose host does not match us would not). */
    st = db_connect(c, &pending, pending.username, pending.password, &db, err);
    if (st != RS_OK) {
        err_prefix(err, "%s", "the password was set but AWSPENDING still cannot log in");
        st = fail(c, db_error_type(st), err);
        goto done;
    }
    rl_db_close(&db);
done:
    db_secret_free(&cur);
    db_secret_free(&pending);
    return st;
}

static rs_status test_secret(step_ctx *c, rs_error *err)
{
    db_secret pending;
    bool absent = false;
    rs_status st = load_secret(c, c->arn, c->token, "AWSPENDING", "AWSPENDING", &pending, &absent, err);
    if (st != RS_OK) {
        return st;
    }
    if (absent) {
        rs_error_set(err, RS_ERR_NOT_FOUND, "the AWSPENDING version has no value yet: createSecret must run first");
        return fail(c, "Rotation.PendingMissing", err);
    }
    snprintf(c->strategy, sizeof(c->strategy), "%s", pending.masterarn ? "alternating" : "single_user");
    rl_db db;
    st = db_connect(c, &pending, pending.username, pending.password, &db, err);
    if (st != RS_OK) {
        db_secret_free(&pending);
        err_prefix(err, "%s", "logging in with AWSPENDING");
        return fail(c, db_error_type(st), err);
    }
    st = rl_db_ping_query(&db, err);
    rl_db_close(&db);
    db_secret_free(&pending);
    if (st != RS_OK) {
        return fail(c, db_error_type(st), err);
    }
    snprintf(c->res->message, sizeof(c->res->message), "AWSPENDING logs in and runs a query");
    return RS_OK;
}

/* Remove AWSPENDING from a version that is already AWSCURRENT; failure only warns (it blocks nothing). */
static void drop_pending_label(step_ctx *c, const char *version_id)
{
    rs_error e;
    rs_error_clear(&e);
    if (sm_budget(c, &e) == RS_OK &&
        rs_sm_update_secret_version_stage(c->r->sm, c->arn, "AWSPENDING", NULL, version_id, &e) == RS_OK) {
        return;
    }
    cJSON *rec = rl_log_begin("warning");
    if (rec) {
        cJSON_AddStringToObject(rec, "secret_arn", c->arn);
        cJSON_AddStringToObject(rec, "token", c->token);
        cJSON_AddStringToObject(rec, "message", "could not remove AWSPENDING from the AWSCURRENT version (harmless; "
                                                "retried at the next finishSecret)");
        cJSON_AddStringToObject(rec, "error", e.message);
    }
    rl_log_emit(rec);
    c->res->error_type[0] = '\0';
}

/* DISCARD_OLD_PASSWORD=finish_secret: once AWSCURRENT has moved, a single-user MySQL account forgets its secondary
 * password. After the move, so AWSCURRENT logs in at every moment; a failure only warns in the step's message
 * (the rotation is done, and the next rotation's RETAIN CURRENT PASSWORD replaces the old password anyway). */
static void discard_after_finish(step_ctx *c, char *note, size_t note_len)
{
    note[0] = '\0';
    db_secret now;
    rs_error e;
    rs_error_clear(&e);
    if (load_secret(c, c->arn, c->token, NULL, "AWSCURRENT", &now, NULL, &e) != RS_OK) {
        snprintf(note, note_len, "; the old password was not discarded: %.300s", e.message);
        c->res->error_type[0] = '\0';
        return;
    }
    if (now.masterarn) {
        db_secret_free(&now);
        return;  /* alternating users: no dual passwords involved */
    }
    snprintf(c->strategy, sizeof(c->strategy), "single_user");
    rl_db db;
    rs_status st = db_connect(c, &now, now.username, now.password, &db, &e);
    db_secret_free(&now);
    if (st == RS_OK) {
        st = rl_db_discard_old_password(&db, &e);
        rl_db_close(&db);
    }
    c->res->error_type[0] = '\0';
    if (st == RS_OK) {
        c->dual_password = "discarded";
        snprintf(note, note_len, "; old password discarded (DISCARD_OLD_PASSWORD=finish_secret)");
    } else {
        snprintf(note, note_len, "; the old password was not discarded (DISCARD_OLD_PASSWORD=finish_secret): %.300s",
                 e.message);
    }
}

static rs_status finish_secret(step_ctx *c, rs_error *err)
{
    const char *current = rs_secret_description_version_with_stage(&c->desc, "AWSCURRENT");
    rs_status st;
    if ((st = guard_change(c, "UpdateSecretVersionStage", err)) != RS_OK || (st = sm_budget(c, err)) != RS_OK) {
        return st;
    }
    st = rs_sm_update_secret_version_stage(c->r->sm, c->arn, "AWSCURRENT", c->token, current, err);
    if (st != RS_OK) {
        err_prefix(err, "%s", "moving AWSCURRENT");
        return fail(c, sm_error_type(st), err);
    }
    drop_pending_label(c, c->token);
    char note[400] = "";
    if (c->r->cfg->discard_old_password_at_finish) {
        discard_after_finish(c, note, sizeof(note));
    }
    snprintf(c->res->message, sizeof(c->res->message), "AWSCURRENT moved to this version from %.64s%s",
             current ? current : "(none)", note);
    return RS_OK;
}

/* The checks Secrets Manager's contract asks for before any step. *done: nothing to do. */
static rs_status precheck(step_ctx *c, const char *secret_id, bool *done, rs_error *err)
{
    *done = false;
    rs_status st;
    if ((st = sm_budget(c, err)) != RS_OK) {
        return st;
    }
    st = rs_sm_describe_secret(c->r->sm, secret_id, &c->desc, err);
    if (st != RS_OK) {
        err_prefix(err, "%s", "DescribeSecret");
        return fail(c, sm_error_type(st), err);
    }
    c->arn = c->desc.arn;
    snprintf(c->res->secret_arn, sizeof(c->res->secret_arn), "%s", c->desc.arn);
    if (!c->desc.rotation_enabled) {
        rs_error_set(err, RS_ERR_INVALID_REQUEST, "secret %.300s is not enabled for rotation", c->desc.arn);
        return fail(c, "Rotation.NotEnabled", err);
    }
    const rs_secret_version_stages *v = NULL;
    for (size_t i = 0; i < c->desc.version_count; i++) {
        if (strcmp(c->desc.versions[i].version_id, c->token) == 0) {
            v = &c->desc.versions[i];
        }
    }
    if (!v) {
        rs_error_set(err, RS_ERR_INVALID_REQUEST, "version %.64s has no stage for rotation of secret %.300s",
                     c->token, c->desc.arn);
        return fail(c, "Rotation.UnknownToken", err);
    }
    bool is_current = false, is_pending = false;
    for (size_t j = 0; j < v->stage_count; j++) {
        is_current |= strcmp(v->stages[j], "AWSCURRENT") == 0;
        is_pending |= strcmp(v->stages[j], "AWSPENDING") == 0;
    }
    if (is_current) {
        if (c->step == RL_STEP_FINISH && is_pending) {
            drop_pending_label(c, c->token);
        }
        *done = true;
        snprintf(c->res->message, sizeof(c->res->message), "version is already AWSCURRENT: nothing to do");
        snprintf(c->res->outcome, sizeof(c->res->outcome), "nothing_to_do");
        return RS_OK;
    }
    if (!is_pending) {
        rs_error_set(err, RS_ERR_INVALID_REQUEST, "version %.64s is not AWSPENDING for rotation of secret %.300s",
                     c->token, c->desc.arn);
        return fail(c, "Rotation.TokenNotPending", err);
    }
    return RS_OK;
}

rs_status rl_run_step(rl_rotation *r, const char *secret_id, const char *token, rl_step step,
                      const char *rotation_token, rl_result *res, rs_error *err)
{
    long long started = rl_monotonic_ms();
    memset(res, 0, sizeof(*res));
    rs_error_clear(err);
    snprintf(res->outcome, sizeof(res->outcome), "success");
    snprintf(res->secret_arn, sizeof(res->secret_arn), "%s", secret_id ? secret_id : "");
    step_ctx c = {.r = r, .step = step, .token = token, .rotation_token = rotation_token, .res = res,
                  .arn = secret_id};
    rs_status st;
    if (!secret_id || !*secret_id || !token || strlen(token) < 32 || strlen(token) > 64 || step >= RL_STEP_COUNT) {
        rs_error_set(err, RS_ERR_INVALID_PARAMETER,
                     "the event needs a SecretId, a ClientRequestToken of 32 to 64 characters and a known Step");
        st = fail(&c, "Rotation.InvalidEvent", err);
    } else {
        bool done = false;
        st = precheck(&c, secret_id, &done, err);
        if (st == RS_OK && !done) {
            switch (step) {
            case RL_STEP_CREATE:
                st = create_secret(&c, err);
                break;
            case RL_STEP_SET:
                st = set_secret(&c, err);
                break;
            case RL_STEP_TEST:
                st = test_secret(&c, err);
                break;
            default:
                st = finish_secret(&c, err);
                break;
            }
        }
    }
    if (st != RS_OK) {
        snprintf(res->outcome, sizeof(res->outcome), "error");
        snprintf(res->message, sizeof(res->message), "%s", err->message);
        if (!res->error_type[0]) {
            snprintf(res->error_type, sizeof(res->error_type), "Rotation.Error");
        }
    }
    cJSON *rec = rl_log_begin(st == RS_OK ? "info" : "error");
    if (rec) {
        cJSON_AddStringToObject(rec, "secret_arn", res->secret_arn);
        cJSON_AddStringToObject(rec, "step", rl_step_name(step));
        cJSON_AddStringToObject(rec, "token", token ? token : "");
        cJSON_AddStringToObject(rec, "outcome", res->outcome);
        cJSON_AddNumberToObject(rec, "duration_ms", (double)(rl_monotonic_ms() - started));
        cJSON_AddStringToObject(rec, "message", res->message);
        if (st != RS_OK) {
            cJSON_AddStringToObject(rec, "error_type", res->error_type);
        }
        if (c.strategy[0]) {
            cJSON_AddStringToObject(rec, "strategy", c.strategy);
        }
        if (c.db_tls[0]) {
            cJSON_AddStringToObject(rec, "db_tls", c.db_tls);
        }
        if (c.dual_password) {
            cJSON_AddStringToObject(rec, "dual_password", c.dual_password);
        }
        if (r->request_id && *r->request_id) {
            cJSON_AddStringToObject(rec, "request_id", r->request_id);
        }
        if (r->trace_id && *r->trace_id) {
            cJSON_AddStringToObject(rec, "trace_id", r->trace_id);
        }
        rl_log_add_step_metrics(rec, res->secret_arn, rl_step_name(step), st == RS_OK, rl_monotonic_ms() - started);
    }
    rl_log_emit(rec);
    rs_secret_description_free(&c.desc);
    return st;
}
