/* MySQL and MariaDB through MariaDB Connector/C: connecting with verified TLS and bounded timeouts, escaping,
 * password changes (own and other accounts), and creating or refreshing the alternating-users clone.
 * Passwords only ever travel inside escaped SQL literals; server errors are scrubbed before they are reported. */
#ifndef RL_MYSQL_DB_H
#define RL_MYSQL_DB_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

typedef enum {
    RL_TLS_PREFERRED = 0,  /* secret has no "ssl": TLS when the server offers it (verified), else plain */
    RL_TLS_REQUIRED,       /* "ssl": true */
    RL_TLS_DISABLED,       /* "ssl": false */
} rl_tls_mode;

typedef struct {
    const char *host;
    unsigned int port;            /* 0: 3306 */
    const char *user;
    const char *password;
    const char *dbname;           /* NULL or "": none */
    rl_tls_mode tls;
    const char *ca_file;          /* CA bundle the server certificate must chain to */
    bool ca_file_is_default;      /* DB_TLS_CA_FILE was not set: ca_file is the system bundle (for the message) */
    bool verify_host;             /* the certificate must also name `host` */
    unsigned int connect_timeout_s;
    unsigned int query_timeout_s; /* read and write timeouts */
    const char *plugin_dir;       /* NULL or "": the library's default */
} rl_db_params;

typedef struct {
    void *my;                     /* MYSQL *, opaque here so callers need no Connector/C headers */
    bool is_mariadb;
    unsigned long server_version; /* e.g. 80036, 101119 */
    char server_info[96];
    char tls_version[32];         /* "TLSv1.3", or "" for a plain connection */
} rl_db;

/* Connect. Failures: RS_ERR_ACCESS_DENIED (the server refused these credentials: wrong password, unknown
 * user, locked or expired account, no access to dbname), RS_ERR_CONNECT / RS_ERR_TIMEOUT (unreachable),
 * RS_ERR_TLS (handshake, certificate or host verification, or the server insists on TLS), RS_ERR_CONFIG
 * (an authentication plugin that cannot be loaded), RS_ERR_REQUEST_FAILED (anything else). The message
 * names host, port and user, never the password. */
rs_status rl_db_connect(rl_db *db, const rl_db_params *p, rs_error *err);
void rl_db_close(rl_db *db);

/* Run one statement and discard any result. */
rs_status rl_db_exec(rl_db *db, const char *sql, rs_error *err);

/* A trivial query proving the session works ("SELECT NOW()"). */
rs_status rl_db_ping_query(rl_db *db, rs_error *err);

typedef enum {
    RL_DUAL_RETAINED = 0,   /* MySQL 8.0.14+: the old password stays valid as the secondary one */
    RL_DUAL_UNSUPPORTED,    /* MariaDB, or MySQL before 8.0.14: no dual passwords */
    RL_DUAL_NO_PRIVILEGE,   /* MySQL refused RETAIN CURRENT PASSWORD: the account lacks APPLICATION_PASSWORD_ADMIN */
} rl_dual;

/* Change the password of the logged-in account (single-user rotation). On MySQL 8.0.14+ the old password is
 * kept as a secondary one (RETAIN CURRENT PASSWORD, which also discards an older secondary) when the account
 * holds APPLICATION_PASSWORD_ADMIN; *dual tells what happened. */
rs_status rl_db_set_own_password(rl_db *db, const char *new_password, const char *login_password, rl_dual *dual,
                                 rs_error *err);

/* MySQL 8.0.14+: forget the logged-in account's secondary password (ALTER USER ... DISCARD OLD PASSWORD; needs
 * APPLICATION_PASSWORD_ADMIN). RS_ERR_UNSUPPORTED on MariaDB and older MySQL. */
rs_status rl_db_discard_old_password(rl_db *db, rs_error *err);

/* Make `to_user` an exact working copy of `from_user` with `password`, logged in as an administrator: for every
 * host `from_user` exists with, create `to_user`@host when missing (with a throwaway password), give it the TLS
 * requirements and account limits of `from_user`@host, make its privileges and roles equal (what it holds
 * beyond `from_user`@host is revoked, then those of `from_user`@host granted), copy the default roles, and set
 * `password` last, so a `to_user` that accepts `password` always has its grants. Then drop `to_user` at hosts
 * `from_user` no longer has. Only `to_user` accounts change. *hosts gets the number of hosts handled. */
rs_status rl_db_sync_clone(rl_db *db, const char *from_user, const char *to_user, const char *password,
                           size_t *hosts, rs_error *err);

/* Exposed for tests: make a server message fit to report, in place: cut a quoted statement ("near '...'") and
 * mask every secret of `secrets` in it, raw and (db connected) escaped as db's literals are. Ends whatever the
 * secrets and the message hold ("***" included) and leaves none of them in msg (cutting it if it must). */
void rl_db_scrub(rl_db *db, char *msg, size_t msg_size, const char *const *secrets, size_t n);

/* Exposed for tests: rewrite one SHOW GRANTS line of `from_user`@`host` so it grants to `to_user`@`host`,
 * dropping what belongs to the account rather than the grant (IDENTIFIED BY PASSWORD, REQUIRE, resource
 * limits) and keeping WITH GRANT/ADMIN OPTION. *out is heap; NULL return status on a line it cannot read. */
rs_status rl_db_rewrite_grant(const char *line, const char *from_user, const char *to_user, const char *host,
                              char **out, rs_error *err);

#endif
