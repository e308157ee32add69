/* The rotation function's settings, read once from the environment (the variables the AWS rotation
 * templates read, plus the TLS, timeout and limit settings of this implementation). */
#ifndef RL_CONFIG_H
#define RL_CONFIG_H

#include <stdbool.h>

#include "error.h"
#include "sm.h"

#define RL_PATH_MAX 4096

typedef struct {
    /* GetRandomPassword options: EXCLUDE_CHARACTERS, PASSWORD_LENGTH, EXCLUDE_NUMBERS, EXCLUDE_PUNCTUATION,
     * EXCLUDE_UPPERCASE, EXCLUDE_LOWERCASE, REQUIRE_EACH_INCLUDED_TYPE. */
    rs_random_password_options password;
    char exclude_characters[512];

    char sm_endpoint[512];           /* SECRETS_MANAGER_ENDPOINT, or "" (then AWS_ENDPOINT_URL_SECRETS_MANAGER...) */
    char sm_ca_file[RL_PATH_MAX];    /* CA bundle for HTTPS to Secrets Manager: AWS_CA_BUNDLE, system, bundled */
    long sm_connect_timeout_ms;      /* SECRETS_MANAGER_CONNECT_TIMEOUT_MS, default 2000 */
    long sm_timeout_ms;              /* SECRETS_MANAGER_TIMEOUT_MS (per attempt), default 5000 */

    char db_ca_file[RL_PATH_MAX];    /* DB_TLS_CA_FILE (for RDS: the RDS CA bundle), default the system bundle */
    bool db_ca_file_set;             /* DB_TLS_CA_FILE was given (else db_ca_file is the system bundle) */
    bool db_verify_host;             /* DB_TLS_VERIFY_HOST, default true: the certificate must name the host */
    int db_connect_timeout_s;        /* DB_CONNECT_TIMEOUT, default 5 */
    int db_query_timeout_s;          /* DB_QUERY_TIMEOUT, default 15 */
    char db_plugin_dir[RL_PATH_MAX]; /* Connector/C plugins (caching_sha2_password...): MARIADB_PLUGIN_DIR, or the
                                      * package's lib/plugin, or "" for the library's built-in path */

    bool discard_old_password_at_finish; /* DISCARD_OLD_PASSWORD: "next_rotation" (default) or "finish_secret":
                                      * when a MySQL dual password's old (secondary) password stops working */
    int username_max_length;         /* USERNAME_MAX_LENGTH, default 32 (MySQL); MariaDB allows 80 */
    long deadline_reserve_ms;        /* DEADLINE_RESERVE_MS, default 1500: no change starts with less time left */

    char task_root[RL_PATH_MAX];     /* LAMBDA_TASK_ROOT, else the directory of the executable */
} rl_config;

/* Read and validate every setting. An invalid value is an error naming the variable (never a default). */
rs_status rl_config_load(rl_config *cfg, rs_error *err);

#endif
