/* MySQL/MariaDB access for the rotation function through MariaDB Connector/C (speaks MySQL 5.7/8 and MariaDB,
 * caching_sha2_password included). Every value spliced into SQL goes through mysql_real_escape_string (which
 * honours NO_BACKSLASH_ESCAPES) inside quotes; every server error is scrubbed of the passwords in play. */
#include "mysql_db.h"

#include "grants.h"

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* MySQL-only server error numbers (not in MariaDB's headers). */
#define RL_MYSQL_ER_ACCOUNT_LOCKED 3118
#define RL_MYSQL_ER_SECURE_TRANSPORT_REQUIRED 3159
#define RL_MYSQL_ER_MISSING_CURRENT_PASSWORD 3892

#define MY(db) ((MYSQL *)(db)->my)

/* Replace every occurrence of `secret` in msg by a three-character mask (in place, bounded by msg_size; no room:
 * the message is cut there). One pass, resuming after each mask: rescanning from the start looped for ever when
 * the mask recreated the match (a password "***"). The mask is '*' unless the secret holds one: a mask of a
 * character the secret lacks cannot be part of a new match, so one pass finds them all. */
static void scrub_one(char *msg, size_t msg_size, const char *secret)
{
    size_t slen = secret ? strlen(secret) : 0;
    if (slen == 0) {
        return;
    }
    char mask = '*';
    for (const char *m = "*#?x"; *m; m++) {
        if (!strchr(secret, *m)) {
            mask = *m;
            break;
        }
    }
    char *from = msg, *p;
    while ((p = strstr(from, secret)) != NULL) {
        size_t tail = strlen(p + slen);
        size_t head = (size_t)(p - msg);
        if (head + 3 + tail + 1 > msg_size) {
            *p = '\0';  /* no room: cut the message here rather than keep the secret */
            return;
        }
        memmove(p + 3, p + slen, tail + 1);
        memset(p, mask, 3);
        from = p + 3;
    }
}

/* Cut msg at the first occurrence of any of the needles until none is left: whatever the masks of one secret
 * made of another's text, no secret stays in a message. Each cut shortens it, so this ends. */
static void cut_remaining(char *msg, const char *const *needles, size_t n)
{
    for (bool cut = true; cut;) {
        cut = false;
        for (size_t i = 0; i < n; i++) {
            char *p = needles[i] && *needles[i] ? strstr(msg, needles[i]) : NULL;
            if (p) {
                *p = '\0';
                cut = true;
            }
        }
    }
}

/* A server message may quote the statement ("... near '<statement text>' at line 1"): drop that part,
 * then mask any password still present, raw or escaped. */
void rl_db_scrub(rl_db *db, char *msg, size_t msg_size, const char *const *secrets, size_t n)
{
    if (!msg || msg_size == 0) {
        return;
    }
    msg[msg_size - 1] = '\0';
    char *near = strstr(msg, "near '");
    if (near) {
        snprintf(near, msg_size - (size_t)(near - msg), "near (statement text withheld)");
    }
    if (n == 0) {
        return;
    }
    /* Every form a secret may take in the message: raw, and escaped as this connection escapes literals. */
    const char **needles = calloc(2 * n, sizeof(*needles));
    char **escaped = calloc(n, sizeof(*escaped));
    size_t count = 0;
    bool complete = needles && escaped;
    for (size_t i = 0; complete && i < n; i++) {
        if (!secrets[i] || !*secrets[i]) {
            continue;
        }
        needles[count++] = secrets[i];
        if (db && db->my) {
            size_t len = strlen(secrets[i]);
            if ((escaped[i] = malloc(2 * len + 1)) == NULL) {
                complete = false;
                break;
            }
            mysql_real_escape_string(MY(db), escaped[i], secrets[i], (unsigned long)len);
            needles[count++] = escaped[i];
        }
    }
    if (complete) {
        for (size_t i = 0; i < count; i++) {
            scrub_one(msg, msg_size, needles[i]);
        }
        cut_remaining(msg, needles, count);
    } else {
        snprintf(msg, msg_size, "(message withheld)");  /* out of memory: never risk a secret */
    }
    for (size_t i = 0; escaped && i < n; i++) {
        if (escaped[i]) {
            OPENSSL_cleanse(escaped[i], strlen(escaped[i]));
            free(escaped[i]);
        }
    }
    free(escaped);
    free(needles);
}

/* 'text' as an SQL string literal for this connection. Heap; wipe with free_literal. */
static char *literal(rl_db *db, const char *s)
{
    size_t len = strlen(s);
    char *out = malloc(2 * len + 3);
    if (!out) {
        return NULL;
    }
    out[0] = '\'';
    unsigned long n = mysql_real_escape_string(MY(db), out + 1, s, (unsigned long)len);
    out[1 + n] = '\'';
    out[2 + n] = '\0';
    return out;
}

static void free_literal(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

/* 'user'@'host' for this connection. Heap. */
static char *account(rl_db *db, const char *user, const char *host)
{
    char *u = literal(db, user);
    char *h = literal(db, host);
    char *out = NULL;
    if (u && h) {
        size_t n = strlen(u) + strlen(h) + 2;
        out = malloc(n);
        if (out) {
            snprintf(out, n, "%s@%s", u, h);
        }
    }
    free(u);
    free(h);
    return out;
}

/* A growing SQL buffer that is wiped when released: statements carry passwords. */
typedef struct {
    char *buf;
    size_t len, cap;
    bool failed;
} sqlbuf;

static void sb_add(sqlbuf *b, const char *s)
{
    if (b->failed || !s) {
        b->failed = true;
        return;
    }
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        char *grown = malloc(cap);
        if (!grown) {
            b->failed = true;
            return;
        }
        if (b->buf) {
            memcpy(grown, b->buf, b->len + 1);
            OPENSSL_cleanse(b->buf, b->cap);
            free(b->buf);
        }
        b->buf = grown;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n + 1);
    b->len += n;
}

static void sb_free(sqlbuf *b)
{
    if (b->buf) {
        OPENSSL_cleanse(b->buf, b->cap);
        free(b->buf);
    }
    memset(b, 0, sizeof(*b));
}

static bool is_timeout_message(const char *msg)
{
    return strcasestr(msg, "timed out") || strcasestr(msg, "timeout") || strstr(msg, "(110)");
}

static rs_status connect_failure(rl_db *db, const rl_db_params *p, rs_error *err)
{
    unsigned int code = mysql_errno(MY(db));
    char msg[400];
    snprintf(msg, sizeof(msg), "%s", mysql_error(MY(db)));
    const char *secrets[] = {p->password};
    rl_db_scrub(db, msg, sizeof(msg), secrets, 1);
    unsigned int port = p->port ? p->port : 3306;
    const char *user = p->user;
    switch (code) {
    case ER_ACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
    case ER_MUST_CHANGE_PASSWORD_LOGIN:
    case ER_ACCOUNT_HAS_BEEN_LOCKED:
    case RL_MYSQL_ER_ACCOUNT_LOCKED:
        /* MariaDB answers a plain-text login under require_secure_transport with a bare "Access denied". */
        return rs_error_set(err, RS_ERR_ACCESS_DENIED, "database %s:%u refused the login of user '%.80s': %s%s",
                            p->host, port, user, msg,
                            p->tls == RL_TLS_DISABLED ? " (the secret says \"ssl\": false; a server with "
                                                        "require_secure_transport=ON refuses plain-text logins "
                                                        "this way)"
                                                      : "");
    case RL_MYSQL_ER_SECURE_TRANSPORT_REQUIRED:
        return rs_error_set(err, RS_ERR_TLS,
                            "database %s:%u requires TLS (require_secure_transport) but the secret says \"ssl\": "
                            "false: %s",
                            p->host, port, msg);
    case CR_SSL_CONNECTION_ERROR: {
        /* Say exactly what to set: a server that makes its own CA (MySQL does at initialisation) is refused
         * by default, since an unverified certificate is no better than plain text. */
        char ca[300];
        if (p->ca_file_is_default || !p->ca_file || !*p->ca_file) {
            snprintf(ca, sizeof(ca), "the system CA bundle (DB_TLS_CA_FILE is not set)");
        } else {
            snprintf(ca, sizeof(ca), "DB_TLS_CA_FILE '%.200s'", p->ca_file);
        }
        if (strstr(msg, "does not support")) {
            return rs_error_set(err, RS_ERR_TLS, "TLS to database %s:%u failed: %.200s", p->host, port, msg);
        }
        return rs_error_set(err, RS_ERR_TLS,
                            "TLS to database %s:%u: its certificate is not verified by %s%s (%.120s). Set "
                            "DB_TLS_CA_FILE to the CA that signed it (RDS: the RDS CA bundle; a MySQL server's own: "
                            "ca.pem in its datadir)%s%s",
                            p->host, port, ca, p->verify_host ? " for this host name" : "", msg,
                            p->verify_host ? ", or DB_TLS_VERIFY_HOST=false if only the host name differs" : "",
                            p->tls == RL_TLS_PREFERRED ? ", or \"ssl\": false in the secret to connect without TLS"
                                                       : "");
    }
    case CR_AUTH_PLUGIN_CANNOT_LOAD:
        return rs_error_set(err, RS_ERR_CONFIG,
                            "database %s:%u asks for an authentication plugin the function cannot load "
                            "(plugin directory '%s'): %s",
                            p->host, port, p->plugin_dir && *p->plugin_dir ? p->plugin_dir : "(built-in)", msg);
    case CR_AUTH_PLUGIN_ERR:
        return rs_error_set(err, RS_ERR_TLS,
                            "authentication with database %s:%u failed (caching_sha2_password and sha256_password "
                            "need TLS for a full login): %s",
                            p->host, port, msg);
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_SERVER_LOST:
    case CR_SERVER_GONE_ERROR:
        if (strstr(msg, "insecure transport") || strstr(msg, "secure transport")) {
            return rs_error_set(err, RS_ERR_TLS, "database %s:%u requires TLS: %s", p->host, port, msg);
        }
        return rs_error_set(err, is_timeout_message(msg) ? RS_ERR_TIMEOUT : RS_ERR_CONNECT,
                            "cannot reach database %s:%u within %u s (from a VPC: check the security groups "
                            "and the route to the database): %s",
                            p->host, port, p->connect_timeout_s, msg);
    default:
        if (strstr(msg, "insecure transport") || strstr(msg, "secure transport")) {
            return rs_error_set(err, RS_ERR_TLS, "database %s:%u requires TLS: %s", p->host, port, msg);
        }
        return rs_error_set(err, RS_ERR_REQUEST_FAILED, "connecting to database %s:%u as '%.80s' failed (%u): %s",
                            p->host, port, user, code, msg);
    }
}

/* One connection attempt; *server_has_no_tls tells a TLS attempt refused because the server offers no TLS. */
static rs_status try_connect(rl_db *db, const rl_db_params *p, bool use_tls, bool *server_has_no_tls, rs_error *err)
{
    *server_has_no_tls = false;
    MYSQL *my = mysql_init(NULL);
    if (!my) {
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory (mysql_init)");
    }
    db->my = my;
    unsigned int connect_timeout = p->connect_timeout_s ? p->connect_timeout_s : 5;
    unsigned int query_timeout = p->query_timeout_s ? p->query_timeout_s : 15;
    unsigned int protocol = MYSQL_PROTOCOL_TCP;  /* "localhost" must not silently mean a Unix socket */
    mysql_optionsv(my, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_optionsv(my, MYSQL_OPT_READ_TIMEOUT, &query_timeout);
    mysql_optionsv(my, MYSQL_OPT_WRITE_TIMEOUT, &query_timeout);
    mysql_optionsv(my, MYSQL_OPT_PROTOCOL, &protocol);
    mysql_optionsv(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (p->plugin_dir && *p->plugin_dir) {
        mysql_optionsv(my, MYSQL_PLUGIN_DIR, p->plugin_dir);
    }
    if (use_tls) {
        /* A CA makes Connector/C verify the chain; VERIFY_SERVER_CERT adds the host name check. */
        my_bool verify = p->verify_host ? 1 : 0;
        my_bool enforce = 1;
        if (p->ca_file && *p->ca_file) {
            mysql_optionsv(my, MYSQL_OPT_SSL_CA, p->ca_file);
        }
        mysql_optionsv(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
        mysql_optionsv(my, MYSQL_OPT_SSL_ENFORCE, &enforce);
    }
    if (!mysql_real_connect(my, p->host, p->user, p->password, p->dbname && *p->dbname ? p->dbname : NULL,
                            p->port ? p->port : 3306, NULL, 0)) {
        /* Connector/C words it "SSL is required, but the server does not support it". Anything else (a
         * certificate or host name that fails verification) is not a reason to fall back to plain text. */
        *server_has_no_tls = use_tls && mysql_errno(my) == CR_SSL_CONNECTION_ERROR &&
                             strstr(mysql_error(my), "does not support") != NULL;
        rs_status st = connect_failure(db, p, err);
        rl_db_close(db);
        return st;
    }
    return RS_OK;
}

rs_status rl_db_connect(rl_db *db, const rl_db_params *p, rs_error *err)
{
    memset(db, 0, sizeof(*db));
    if (!p->host || !*p->host || !p->user || !*p->user || !p->password) {
        return rs_error_set(err, RS_ERR_CONFIG, "database connection needs a host, a username and a password");
    }
    bool no_tls = false;
    rs_status st = try_connect(db, p, p->tls != RL_TLS_DISABLED, &no_tls, err);
    if (st != RS_OK && no_tls && p->tls == RL_TLS_PREFERRED) {
        /* No "ssl" key in the secret (the AWS templates' meaning: TLS if possible, else plain), and this
         * server offers no TLS at all: plain text. An "ssl": true secret never gets here. */
        rs_error_clear(err);
        st = try_connect(db, p, false, &no_tls, err);
    }
    if (st != RS_OK) {
        return st;
    }
    MYSQL *my = MY(db);
    const char *info = mysql_get_server_info(my);
    snprintf(db->server_info, sizeof(db->server_info), "%s", info ? info : "");
    db->is_mariadb = info && strstr(info, "MariaDB") != NULL;
    db->server_version = mysql_get_server_version(my);
    const char *tls_version = NULL;
    if (mysql_get_ssl_cipher(my)) {
        if (mariadb_get_infov(my, MARIADB_CONNECTION_TLS_VERSION, &tls_version) != 0 || !tls_version) {
            tls_version = "TLS";
        }
    }
    snprintf(db->tls_version, sizeof(db->tls_version), "%s", tls_version ? tls_version : "");
    if (p->tls == RL_TLS_REQUIRED && !db->tls_version[0]) {
        rl_db_close(db);
        return rs_error_set(err, RS_ERR_TLS, "database %s:%u did not negotiate TLS although the secret requires it",
                            p->host, p->port ? p->port : 3306);
    }
    return RS_OK;
}

void rl_db_close(rl_db *db)
{
    if (db->my) {
        mysql_close(MY(db));
    }
    db->my = NULL;
}

/* Run a statement; on failure report `what` and the scrubbed server message. *errno_out gets the error number. */
static rs_status exec_scrubbed(rl_db *db, const char *sql, const char *what, const char *const *secrets, size_t n,
                               unsigned int *errno_out, rs_error *err)
{
    if (errno_out) {
        *errno_out = 0;
    }
    if (mysql_real_query(MY(db), sql, (unsigned long)strlen(sql)) != 0) {
        unsigned int code = mysql_errno(MY(db));
        if (errno_out) {
            *errno_out = code;
        }
        char msg[400];
        snprintf(msg, sizeof(msg), "%s", mysql_error(MY(db)));
        rl_db_scrub(db, msg, sizeof(msg), secrets, n);
        return rs_error_set(err, code == CR_SERVER_LOST || code == CR_SERVER_GONE_ERROR ? RS_ERR_CONNECT
                                                                                          : RS_ERR_REQUEST_FAILED,
                            "%s failed (MySQL error %u): %s", what, code, msg);
    }
    /* Drain every result so the connection stays usable. */
    do {
        MYSQL_RES *res = mysql_store_result(MY(db));
        if (res) {
            mysql_free_result(res);
        }
    } while (mysql_next_result(MY(db)) == 0);
    return RS_OK;
}

rs_status rl_db_exec(rl_db *db, const char *sql, rs_error *err)
{
    return exec_scrubbed(db, sql, "SQL statement", NULL, 0, NULL, err);
}

rs_status rl_db_ping_query(rl_db *db, rs_error *err)
{
    if (mysql_real_query(MY(db), "SELECT NOW()", 12) != 0) {
        return rs_error_set(err, RS_ERR_REQUEST_FAILED, "test query failed (MySQL error %u): %s",
                            mysql_errno(MY(db)), mysql_error(MY(db)));
    }
    MYSQL_RES *res = mysql_store_result(MY(db));
    bool ok = res && mysql_fetch_row(res);
    if (res) {
        mysql_free_result(res);
    }
    return ok ? RS_OK : rs_error_set(err, RS_ERR_REQUEST_FAILED, "test query returned no row");
}

rs_status rl_db_set_own_password(rl_db *db, const char *new_password, const char *login_password, rl_dual *dual,
                                 rs_error *err)
{
    *dual = RL_DUAL_UNSUPPORTED;
    const char *secrets[] = {new_password, login_password};
    char *lit_new = literal(db, new_password);
    char *lit_login = literal(db, login_password);
    if (!lit_new || !lit_login) {
        free_literal(lit_new);
        free_literal(lit_login);
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    rs_status st;
    if (db->is_mariadb) {
        /* MariaDB 10.4+: SET PASSWORD hands the password to the account's own plugin (ed25519 stays ed25519). */
        sqlbuf b = {0};
        sb_add(&b, "SET PASSWORD = PASSWORD(");
        sb_add(&b, lit_new);
        sb_add(&b, ")");
        st = b.failed ? rs_error_set(err, RS_ERR_INTERNAL, "out of memory")
                      : exec_scrubbed(db, b.buf, "changing the password", secrets, 2, NULL, err);
        sb_free(&b);
    } else {
        /* MySQL: SET PASSWORD keeps the account's plugin. 8.0.14+ can keep the old password as a secondary one
         * (zero-downtime single-user rotation) if the account holds APPLICATION_PASSWORD_ADMIN; 8.0.13+ may
         * insist on REPLACE with the current password (password_require_current). Try, then adapt. */
        bool retain = db->server_version >= 80014;
        bool replace = false;
        rl_dual refused = RL_DUAL_UNSUPPORTED;
        st = RS_ERR_INTERNAL;
        for (int attempt = 0; attempt < 3; attempt++) {
            sqlbuf b = {0};
            sb_add(&b, "SET PASSWORD = ");
            sb_add(&b, lit_new);
            if (replace) {
                sb_add(&b, " REPLACE ");
                sb_add(&b, lit_login);
            }
            if (retain) {
                sb_add(&b, " RETAIN CURRENT PASSWORD");
            }
            unsigned int code = 0;
            st = b.failed ? rs_error_set(err, RS_ERR_INTERNAL, "out of memory")
                          : exec_scrubbed(db, b.buf, "changing the password", secrets, 2, &code, err);
            sb_free(&b);
            if (st == RS_OK) {
                *dual = retain ? RL_DUAL_RETAINED : refused;
                break;
            }
            if (code == ER_SPECIFIC_ACCESS_DENIED_ERROR && retain) {
                /* Nothing changed; the caller says so in its log line (no silent loss of the zero-downtime path). */
                retain = false;
                refused = RL_DUAL_NO_PRIVILEGE;
                rs_error_clear(err);
            } else if (code == RL_MYSQL_ER_MISSING_CURRENT_PASSWORD && !replace) {
                replace = true;
            } else {
                break;
            }
        }
    }
    free_literal(lit_new);
    free_literal(lit_login);
    return st;
}

rs_status rl_db_discard_old_password(rl_db *db, rs_error *err)
{
    if (db->is_mariadb || db->server_version < 80014) {
        return rs_error_set(err, RS_ERR_UNSUPPORTED, "the server has no dual passwords (MySQL 8.0.14+ has)");
    }
    static const char sql[] = "ALTER USER CURRENT_USER() DISCARD OLD PASSWORD";
    return exec_scrubbed(db, sql, "discarding the old password (needs APPLICATION_PASSWORD_ADMIN)", NULL, 0, NULL, err);
}

/* --- the alternating-users clone ------------------------------------------------------------------- */

/* Append `s` quoted as the server prints an account name part in SHOW GRANTS: `x` with ` doubled. */
static void sb_add_backquoted(sqlbuf *b, const char *s)
{
    sb_add(b, "`");
    for (const char *p = s; *p && !b->failed; p++) {
        char one[3] = {*p, 0, 0};
        if (*p == '`') {
            one[1] = '`';
        }
        sb_add(b, one);
    }
    sb_add(b, "`");
}

/* MySQL 5.7 prints 'user'@'host', escaping ' and \ with a backslash. */
static void sb_add_singlequoted(sqlbuf *b, const char *s)
{
    sb_add(b, "'");
    for (const char *p = s; *p && !b->failed; p++) {
        char one[3] = {*p, 0, 0};
        if (*p == '\'' || *p == '\\') {
            one[0] = '\\';
            one[1] = *p;
        }
        sb_add(b, one);
    }
    sb_add(b, "'");
}

static char *printed_account(const char *user, const char *host, bool backquotes)
{
    sqlbuf b = {0};
    if (backquotes) {
        sb_add_backquoted(&b, user);
        sb_add(&b, "@");
        sb_add_backquoted(&b, host);
    } else {
        sb_add_singlequoted(&b, user);
        sb_add(&b, "@");
        sb_add_singlequoted(&b, host);
    }
    if (b.failed) {
        sb_free(&b);
        return NULL;
    }
    return b.buf;
}

/* Find the last " <keyword> " + account that ends the grantee (followed by end of line or a space). */
static const char *find_grantee(const char *line, const char *keyword, const char *acct, size_t *prefix_len,
                                const char **after)
{
    size_t kw = strlen(keyword), al = strlen(acct);
    const char *found = NULL;
    for (const char *p = strstr(line, keyword); p; p = strstr(p + 1, keyword)) {
        const char *a = p + kw;
        if (strncmp(a, acct, al) == 0 && (a[al] == '\0' || a[al] == ' ')) {
            found = p;
        }
    }
    if (found) {
        *prefix_len = (size_t)(found - line) + kw;
        *after = found + kw + al;
    }
    return found;
}

rs_status rl_db_rewrite_grant(const char *line, const char *from_user, const char *to_user, const char *host,
                              char **out, rs_error *err)
{
    *out = NULL;
    bool is_default_role = strncmp(line, "SET DEFAULT ROLE ", 17) == 0;
    if (!is_default_role && strncmp(line, "GRANT ", 6) != 0) {
        return rs_error_set(err, RS_ERR_UNSUPPORTED, "a SHOW GRANTS line for '%.80s' is neither GRANT nor SET DEFAULT "
                                                     "ROLE",
                            from_user);
    }
    const char *keyword = is_default_role ? " FOR " : " TO ";
    size_t prefix_len = 0;
    const char *after = NULL;
    for (int form = 0; form < 2 && !after; form++) {
        char *acct = printed_account(from_user, host, form == 0);
        if (!acct) {
            return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
        }
        find_grantee(line, keyword, acct, &prefix_len, &after);
        free(acct);
    }
    if (!after) {
        return rs_error_set(err, RS_ERR_UNSUPPORTED,
                            "cannot find the grantee '%.80s' in a SHOW GRANTS line; grant the clone by hand", from_user);
    }
    char *target = printed_account(to_user, host, true);
    if (!target) {
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    sqlbuf b = {0};
    char *prefix = strndup(line, prefix_len);
    sb_add(&b, prefix);
    free(prefix);
    sb_add(&b, target);
    free(target);
    /* What follows the grantee describes the account (IDENTIFIED BY PASSWORD <hash>, REQUIRE ..., resource
     * limits) except the grant options, which belong to the grant. */
    if (!is_default_role) {
        if (strstr(after, " WITH GRANT OPTION") || strstr(after, " GRANT OPTION")) {
            sb_add(&b, " WITH GRANT OPTION");
        } else if (strstr(after, " WITH ADMIN OPTION")) {
            sb_add(&b, " WITH ADMIN OPTION");
        }
    }
    if (b.failed) {
        sb_free(&b);
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    *out = b.buf;
    return RS_OK;
}

/* Run a SELECT whose rows are wanted. */
static rs_status query_rows(rl_db *db, const char *sql, const char *what, MYSQL_RES **res, rs_error *err)
{
    *res = NULL;
    rs_status st = RS_OK;
    if (mysql_real_query(MY(db), sql, (unsigned long)strlen(sql)) != 0) {
        unsigned int code = mysql_errno(MY(db));
        char msg[400];
        snprintf(msg, sizeof(msg), "%s", mysql_error(MY(db)));
        rl_db_scrub(db, msg, sizeof(msg), NULL, 0);
        return rs_error_set(err, RS_ERR_REQUEST_FAILED, "%s failed (MySQL error %u): %s", what, code, msg);
    }
    *res = mysql_store_result(MY(db));
    if (!*res) {
        st = rs_error_set(err, RS_ERR_REQUEST_FAILED, "%s returned no result", what);
    }
    return st;
}

/* The authentication part of CREATE USER for a plugin read from mysql.user. */
static rs_status auth_clause(rl_db *db, const char *plugin, const char *lit_password, sqlbuf *b, rs_error *err)
{
    if (db->is_mariadb) {
        if (!plugin || !*plugin || strcmp(plugin, "mysql_native_password") == 0) {
            sb_add(b, " IDENTIFIED BY ");
            sb_add(b, lit_password);
        } else if (strcmp(plugin, "ed25519") == 0) {
            sb_add(b, " IDENTIFIED VIA ed25519 USING PASSWORD(");
            sb_add(b, lit_password);
            sb_add(b, ")");
        } else {
            return rs_error_set(err, RS_ERR_UNSUPPORTED, "the current user authenticates with plugin '%.64s', which "
                                                         "has no password to rotate", plugin);
        }
        return RS_OK;
    }
    static const char *const known[] = {"mysql_native_password", "caching_sha2_password", "sha256_password"};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (plugin && strcmp(plugin, known[i]) == 0) {
            sb_add(b, " IDENTIFIED WITH ");
            sb_add(b, known[i]);  /* from the allowlist, never from the server's text */
            sb_add(b, " BY ");
            sb_add(b, lit_password);
            return RS_OK;
        }
    }
    if (!plugin || !*plugin) {
        sb_add(b, " IDENTIFIED BY ");
        sb_add(b, lit_password);
        return RS_OK;
    }
    return rs_error_set(err, RS_ERR_UNSUPPORTED, "the current user authenticates with plugin '%.64s', which has no "
                                                 "password to rotate", plugin);
}

/* REQUIRE clause copying mysql.user's ssl_type / ssl_cipher / x509_issuer / x509_subject. */
/* REQUIRE clause copying mysql.user's ssl_type / ssl_cipher / x509_issuer / x509_subject (columns 1..4). */
static void require_clause(rl_db *db, MYSQL_ROW row, unsigned long *lengths, sqlbuf *b)
{
    const char *ssl_type = row[1] ? row[1] : "";
    sb_add(b, " REQUIRE ");
    if (strcasecmp(ssl_type, "ANY") == 0) {
        sb_add(b, "SSL");
    } else if (strcasecmp(ssl_type, "X509") == 0) {
        sb_add(b, "X509");
    } else if (strcasecmp(ssl_type, "SPECIFIED") == 0) {
        static const char *const names[] = {"CIPHER ", "ISSUER ", "SUBJECT "};
        bool first = true;
        for (int i = 0; i < 3; i++) {
            const char *v = row[2 + i];
            if (!v || lengths[2 + i] == 0) {
                continue;
            }
            char *lit = literal(db, v);
            sb_add(b, first ? "" : " AND ");
            sb_add(b, names[i]);
            sb_add(b, lit);
            free(lit);
            first = false;
        }
        if (first) {
            sb_add(b, "SSL");
        }
    } else {
        sb_add(b, "NONE");
    }
}

/* WITH clause copying the account limits (columns 5..8: max_questions, max_updates, max_connections,
 * max_user_connections; MariaDB adds max_statement_time at 9). Numbers only: anything else is left out. */
static void limits_clause(rl_db *db, MYSQL_ROW row, sqlbuf *b)
{
    static const char *const names[] = {" MAX_QUERIES_PER_HOUR ", " MAX_UPDATES_PER_HOUR ",
                                        " MAX_CONNECTIONS_PER_HOUR ", " MAX_USER_CONNECTIONS ",
                                        " MAX_STATEMENT_TIME "};
    int n = db->is_mariadb ? 5 : 4;
    bool any = false;
    for (int i = 0; i < n; i++) {
        const char *v = row[5 + i];
        if (!v || !*v || strspn(v, "0123456789.") != strlen(v) || strlen(v) > 24) {
            continue;
        }
        sb_add(b, any ? "" : " WITH");
        sb_add(b, names[i]);
        sb_add(b, v);
        any = true;
    }
}

/* SHOW GRANTS FOR user@host, each line rewritten to grant to to_user@host. The result set is wiped before it is
 * freed (MariaDB's lines hold the password hash). *lines: heap array of heap strings. */
static rs_status grants_rewritten(rl_db *db, const char *user, const char *to_user, const char *host, char ***lines,
                                  size_t *nlines, rs_error *err)
{
    *lines = NULL;
    *nlines = 0;
    char *acct = account(db, user, host);
    if (!acct) {
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    sqlbuf q = {0};
    sb_add(&q, "SHOW GRANTS FOR ");
    sb_add(&q, acct);
    free(acct);
    MYSQL_RES *res = NULL;
    rs_status st = q.failed ? rs_error_set(err, RS_ERR_INTERNAL, "out of memory")
                            : query_rows(db, q.buf, "reading grants (SHOW GRANTS)", &res, err);
    sb_free(&q);
    if (st != RS_OK) {
        return st;
    }
    size_t n = (size_t)mysql_num_rows(res);
    char **out = n ? calloc(n, sizeof(char *)) : NULL;
    size_t got = 0;
    MYSQL_ROW row;
    if (n && !out) {
        st = rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    while (st == RS_OK && (row = mysql_fetch_row(res)) != NULL && got < n) {
        if (!row[0]) {
            continue;
        }
        st = rl_db_rewrite_grant(row[0], user, to_user, host, &out[got], err);
        if (st == RS_OK) {
            got++;
        }
    }
    mysql_data_seek(res, 0);
    while ((row = mysql_fetch_row(res)) != NULL) {
        unsigned long *len = mysql_fetch_lengths(res);
        if (row[0] && len) {
            OPENSSL_cleanse(row[0], len[0]);
        }
    }
    mysql_free_result(res);
    if (st != RS_OK) {
        rl_grants_free(out, got);
        return st;
    }
    *lines = out;
    *nlines = got;
    return RS_OK;
}

/* MySQL keeps default roles out of SHOW GRANTS: SET DEFAULT ROLE ... TO dst from mysql.default_roles. */
static rs_status mysql_default_roles(rl_db *db, const char *lit_from, const char *lit_host, const char *dst,
                                     sqlbuf *out, rs_error *err)
{
    sqlbuf q = {0};
    sb_add(&q, "SELECT DEFAULT_ROLE_USER, DEFAULT_ROLE_HOST FROM mysql.default_roles WHERE USER = ");
    sb_add(&q, lit_from);
    sb_add(&q, " AND HOST = ");
    sb_add(&q, lit_host);
    sb_add(&q, " ORDER BY DEFAULT_ROLE_USER, DEFAULT_ROLE_HOST");
    MYSQL_RES *res = NULL;
    rs_status st = q.failed ? rs_error_set(err, RS_ERR_INTERNAL, "out of memory")
                            : query_rows(db, q.buf, "reading the current user's default roles (the master user "
                                                    "needs SELECT on mysql.default_roles)", &res, err);
    sb_free(&q);
    if (st != RS_OK) {
        return st;
    }
    sb_add(out, "SET DEFAULT ROLE ");
    MYSQL_ROW row;
    bool any = false;
    while ((row = mysql_fetch_row(res)) != NULL) {
        char *role = account(db, row[0] ? row[0] : "", row[1] ? row[1] : "");
        sb_add(out, any ? ", " : "");
        sb_add(out, role);
        free(role);
        any = true;
    }
    mysql_free_result(res);
    sb_add(out, any ? " TO " : "NONE TO ");
    sb_add(out, dst);
    return out->failed ? rs_error_set(err, RS_ERR_INTERNAL, "out of memory") : RS_OK;
}

static rs_status sync_one_host(rl_db *db, const char *from_user, const char *to_user, const char *host,
                               const char *lit_password, const char *const *secrets, rs_error *err)
{
    char *lit_from = literal(db, from_user), *lit_to = literal(db, to_user), *lit_host = literal(db, host);
    char *dst = account(db, to_user, host);
    char *printed_dst = printed_account(to_user, host, true);
    MYSQL_RES *res = NULL;
    sqlbuf q = {0}, alter = {0};
    char **want = NULL, **have = NULL, **plan = NULL;
    size_t nwant = 0, nhave = 0, nplan = 0;
    rs_status st = RS_OK;
    if (!lit_from || !lit_to || !lit_host || !dst || !printed_dst) {
        st = rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
        goto done;
    }
    /* 1. The source account's plugin, TLS requirements and limits. */
    sb_add(&q, "SELECT plugin, ssl_type, ssl_cipher, x509_issuer, x509_subject, max_questions, max_updates, "
               "max_connections, max_user_connections");
    sb_add(&q, db->is_mariadb ? ", max_statement_time" : "");
    sb_add(&q, " FROM mysql.user WHERE User = ");
    sb_add(&q, lit_from);
    sb_add(&q, " AND Host = ");
    sb_add(&q, lit_host);
    if (q.failed || (st = query_rows(db, q.buf, "reading the current user's account", &res, err)) != RS_OK) {
        st = q.failed ? rs_error_set(err, RS_ERR_INTERNAL, "out of memory") : st;
        goto done;
    }
    MYSQL_ROW src_row = mysql_fetch_row(res);
    if (!src_row) {
        st = rs_error_set(err, RS_ERR_NOT_FOUND, "user '%.80s'@'%.80s' vanished while the clone was made", from_user,
                          host);
        goto done;
    }
    unsigned long *lengths = mysql_fetch_lengths(res);
    char plugin[80];
    snprintf(plugin, sizeof(plugin), "%s", src_row[0] ? src_row[0] : "");
    sb_add(&alter, "ALTER USER ");
    sb_add(&alter, dst);
    require_clause(db, src_row, lengths, &alter);
    limits_clause(db, src_row, &alter);
    mysql_free_result(res);
    res = NULL;

    /* 2. Does the target exist at this host? */
    sb_free(&q);
    sb_add(&q, "SELECT COUNT(*) FROM mysql.user WHERE User = ");
    sb_add(&q, lit_to);
    sb_add(&q, " AND Host = ");
    sb_add(&q, lit_host);
    if (q.failed || (st = query_rows(db, q.buf, "looking for the other user", &res, err)) != RS_OK) {
        st = q.failed ? rs_error_set(err, RS_ERR_INTERNAL, "out of memory") : st;
        goto done;
    }
    MYSQL_ROW count_row = mysql_fetch_row(res);
    bool exists = count_row && count_row[0] && strcmp(count_row[0], "0") != 0;
    mysql_free_result(res);
    res = NULL;

    if (!exists) {
        /* Created with a throwaway password nobody knows: the real one is set only after the grants, so a user
         * that accepts the pending password always has them (a crash in between is repaired by the retry). */
        unsigned char raw[24];
        char throwaway[64];
        if (RAND_bytes(raw, sizeof(raw)) != 1) {
            st = rs_error_set(err, RS_ERR_INTERNAL, "no randomness for a temporary password");
            goto done;
        }
        for (size_t i = 0; i < sizeof(raw); i++) {
            snprintf(throwaway + 2 * i, 3, "%02x", raw[i]);
        }
        OPENSSL_cleanse(raw, sizeof(raw));
        char *lit_throwaway = literal(db, throwaway);
        sb_free(&q);
        sb_add(&q, "CREATE USER ");
        sb_add(&q, dst);
        st = auth_clause(db, plugin, lit_throwaway ? lit_throwaway : "''", &q, err);
        free_literal(lit_throwaway);
        const char *create_secrets[] = {throwaway, secrets[0]};
        if (st == RS_OK) {
            st = q.failed ? rs_error_set(err, RS_ERR_INTERNAL, "out of memory")
                          : exec_scrubbed(db, q.buf, "creating the clone user", create_secrets, 2, NULL, err);
        }
        OPENSSL_cleanse(throwaway, sizeof(throwaway));
        if (st != RS_OK) {
            goto done;
        }
    }

    /* 3. TLS requirements and account limits as the source has them (every time: the source may have changed). */
    if (alter.failed ||
        (st = exec_scrubbed(db, alter.buf, "copying the TLS requirements and account limits", NULL, 0, NULL, err)) !=
            RS_OK) {
        st = alter.failed ? rs_error_set(err, RS_ERR_INTERNAL, "out of memory") : st;
        goto done;
    }

    /* 4. Grants converge: what the target holds beyond the source is revoked, then the source's are granted. */
    if ((st = grants_rewritten(db, from_user, to_user, host, &want, &nwant, err)) != RS_OK ||
        (st = grants_rewritten(db, to_user, to_user, host, &have, &nhave, err)) != RS_OK ||
        (st = rl_grants_plan((const char *const *)want, nwant, (const char *const *)have, nhave, printed_dst, &plan,
                             &nplan, err)) != RS_OK) {
        goto done;
    }
    for (size_t i = 0; i < nplan && st == RS_OK; i++) {
        /* A rewritten line holds privileges and names only (the hash was dropped): fine in a message. */
        char what[300];
        snprintf(what, sizeof(what), "making the other user's grants equal (%.200s%s)", plan[i],
                 strlen(plan[i]) > 200 ? "..." : "");
        st = exec_scrubbed(db, plan[i], what, NULL, 0, NULL, err);
    }
    if (st != RS_OK) {
        goto done;
    }

    /* 5. Default roles, after the roles themselves. */
    sb_free(&q);
    if (db->is_mariadb) {
        const char *line = NULL;
        for (size_t i = 0; i < nwant; i++) {
            if (strncmp(want[i], "SET DEFAULT ROLE ", 17) == 0) {
                line = want[i];
            }
        }
        if (line) {
            sb_add(&q, line);
        } else {
            sb_add(&q, "SET DEFAULT ROLE NONE FOR ");
            sb_add(&q, dst);
        }
    } else if ((st = mysql_default_roles(db, lit_from, lit_host, dst, &q, err)) != RS_OK) {
        goto done;
    }
    if (q.failed || (st = exec_scrubbed(db, q.buf, "copying the default roles", NULL, 0, NULL, err)) != RS_OK) {
        st = q.failed ? rs_error_set(err, RS_ERR_INTERNAL, "out of memory") : st;
        goto done;
    }

    /* 6. The pending password, last. */
    sb_free(&q);
    sb_add(&q, "SET PASSWORD FOR ");
    sb_add(&q, dst);
    if (db->is_mariadb) {
        sb_add(&q, " = PASSWORD(");
        sb_add(&q, lit_password);
        sb_add(&q, ")");
    } else {
        sb_add(&q, " = ");
        sb_add(&q, lit_password);
    }
    st = q.failed ? rs_error_set(err, RS_ERR_INTERNAL, "out of memory")
                  : exec_scrubbed(db, q.buf, "setting the pending password", secrets, 1, NULL, err);

done:
    if (res) {
        mysql_free_result(res);
    }
    rl_grants_free(want, nwant);
    rl_grants_free(have, nhave);
    rl_grants_free(plan, nplan);
    sb_free(&q);
    sb_free(&alter);
    free(lit_from);
    free(lit_to);
    free(lit_host);
    free(dst);
    free(printed_dst);
    return st;
}

/* Every Host of `user` in mysql.user, sorted. *hosts: heap array of heap strings. */
static rs_status list_hosts(rl_db *db, const char *user, const char *what, char ***hosts, size_t *n, rs_error *err)
{
    *hosts = NULL;
    *n = 0;
    char *lit = literal(db, user);
    sqlbuf q = {0};
    sb_add(&q, "SELECT Host FROM mysql.user WHERE User = ");
    sb_add(&q, lit);
    sb_add(&q, " ORDER BY Host");
    free(lit);
    MYSQL_RES *res = NULL;
    rs_status st = q.failed ? rs_error_set(err, RS_ERR_INTERNAL, "out of memory") : query_rows(db, q.buf, what, &res,
                                                                                               err);
    sb_free(&q);
    if (st != RS_OK) {
        return st;
    }
    size_t rows = (size_t)mysql_num_rows(res);
    char **list = rows ? calloc(rows, sizeof(char *)) : NULL;
    MYSQL_ROW row;
    size_t got = 0;
    while (list && (row = mysql_fetch_row(res)) != NULL && got < rows) {
        list[got] = strdup(row[0] ? row[0] : "");
        if (!list[got]) {
            st = rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
            break;
        }
        got++;
    }
    mysql_free_result(res);
    if (rows && !list) {
        st = rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    if (st != RS_OK) {
        rl_grants_free(list, got);
        return st;
    }
    *hosts = list;
    *n = got;
    return RS_OK;
}

rs_status rl_db_sync_clone(rl_db *db, const char *from_user, const char *to_user, const char *password,
                           size_t *hosts, rs_error *err)
{
    *hosts = 0;
    char **from_hosts = NULL, **to_hosts = NULL;
    size_t nfrom = 0, nto = 0;
    rs_status st = list_hosts(db, from_user, "listing the current user's hosts (the master user needs SELECT on "
                                             "mysql.user)", &from_hosts, &nfrom, err);
    if (st != RS_OK) {
        return st;
    }
    if (nfrom == 0) {
        rl_grants_free(from_hosts, nfrom);
        return rs_error_set(err, RS_ERR_NOT_FOUND,
                            "user '%.80s' (the AWSCURRENT username) does not exist on the database, so there is "
                            "nothing to copy to '%.80s'",
                            from_user, to_user);
    }
    char *lit_password = literal(db, password);
    if (!lit_password) {
        rl_grants_free(from_hosts, nfrom);
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    const char *secrets[] = {password};
    for (size_t i = 0; i < nfrom && st == RS_OK; i++) {
        st = sync_one_host(db, from_user, to_user, from_hosts[i], lit_password, secrets, err);
        if (st == RS_OK) {
            (*hosts)++;
        }
    }
    free_literal(lit_password);
    /* The other user at a host the current user no longer has: dropped (only ever `to_user` accounts). */
    if (st == RS_OK) {
        st = list_hosts(db, to_user, "listing the other user's hosts", &to_hosts, &nto, err);
    }
    for (size_t i = 0; i < nto && st == RS_OK; i++) {
        bool kept = false;
        for (size_t j = 0; j < nfrom && !kept; j++) {
            kept = strcmp(to_hosts[i], from_hosts[j]) == 0;
        }
        if (kept) {
            continue;
        }
        char *acct = account(db, to_user, to_hosts[i]);
        sqlbuf q = {0};
        sb_add(&q, "DROP USER ");
        sb_add(&q, acct);
        free(acct);
        st = q.failed ? rs_error_set(err, RS_ERR_INTERNAL, "out of memory")
                      : exec_scrubbed(db, q.buf, "dropping the other user at a host the current user no longer has",
                                      NULL, 0, NULL, err);
        sb_free(&q);
    }
    rl_grants_free(from_hosts, nfrom);
    rl_grants_free(to_hosts, nto);
    return st;
}
