<?php
/**
 * rdssecret's rotation survival for any wpdb class (copy to wp-content/rdssecret-wpdb.php, next to db.php).
 *
 * A rotation changes the password in the database and in Secrets Manager a few seconds apart, so a worker may
 * log in with a password the database no longer takes (MySQL error 1045). RdsSecret_Rotation::login() then tells
 * rdssecret that the copy it read was refused (rds_secret_login_failed(): counted, logged, replaced by a newer
 * one; fifty workers failing alike cause one request to Secrets Manager) and logs in again with the fresh
 * AWSCURRENT; only when that fails too (a single-user rotation between setSecret and finishSecret: the database
 * already has AWSPENDING's password) does it ask for AWSPENDING. Passwords are never logged.
 *
 * Two ways to use it:
 * - a class whose connection goes through wpdb::db_connect() (wpdb itself, Query Monitor's QM_DB, most drop-ins):
 *       class My_DB extends Their_DB { use RdsSecret_Wpdb_Rotation; }
 *   which also makes RDSSECRET_DB_SSL_CA work: TLS with the server's certificate and host name verified;
 * - any other connection code (HyperDB, LudicrousDB: one connection per server): wrap the call that logs in,
 *       RdsSecret_Rotation::login(fn (string $user, string $password): int => <log in, return 0 or the errno>,
 *                                 $user, $password);
 */
defined('ABSPATH') || exit;

if (!class_exists('RdsSecret_Rotation', false)) {
    final class RdsSecret_Rotation
    {
        /** MySQL/MariaDB "Access denied for user" */
        public const ER_ACCESS_DENIED = 1045;

        /**
         * Log in through $attempt with $user and $password; after an access-denied, with a fresh AWSCURRENT, then
         * AWSPENDING. $attempt(string $user, string $password): int returns 0 once logged in, else the MySQL error
         * number. Returns the [user, password] that logged in, or null ($errno: the last error number).
         */
        public static function login(callable $attempt, string $user, string $password, ?int &$errno = null): ?array
        {
            $errno = (int)$attempt($user, $password);
            if ($errno === 0) {
                return [$user, $password];
            }
            if ($errno !== self::ER_ACCESS_DENIED || !function_exists('rds_secret_get')) {
                return null;
            }
            // An rdssecret without rds_secret_login_failed(): its rds_secret_refresh() (which neither counts nor logs).
            $refused = function_exists('rds_secret_login_failed') ? 'rds_secret_login_failed' : 'rds_secret_refresh';
            $tried = [[$user, $password]];
            foreach ([null, 'AWSPENDING', 'AWSCURRENT again'] as $pass) {
                // AWSCURRENT: the copy this request read was refused, so it is replaced first. AWSPENDING (only
                // now, when the fresh AWSCURRENT failed too): read it as cached, and replace it only if refused:
                // a copy cached during an earlier rotation is stale. AWSCURRENT again when AWSPENDING did not
                // help either: a rotation that finished between the two requests left the first one's AWSCURRENT
                // outdated and AWSPENDING gone; rdssecret lets this refresh through because Secrets Manager's
                // answer about AWSPENDING is newer (otherwise it is rate-limited and nothing new is tried).
                $stage = $pass === 'AWSPENDING' ? 'AWSPENDING' : null;
                // The second AWSCURRENT refresh is for the same refused login: not counted again.
                $refresh = $pass === 'AWSCURRENT again' ? 'rds_secret_refresh' : $refused;
                for ($replaced = false; ; $replaced = true) {
                    if ($stage === null || $replaced) {
                        self::call($refresh, $stage);
                    }
                    $pair = self::credentials($stage, $user);
                    if ($pair === null) {
                        if ($stage !== null && !$replaced) {
                            continue;  // nothing cached (or "not found" remembered): ask Secrets Manager now
                        }
                        break;  // no AWSPENDING outside a rotation, or Secrets Manager cannot be reached
                    }
                    if (!in_array($pair, $tried, true)) {
                        $tried[] = $pair;
                        $errno = (int)$attempt($pair[0], $pair[1]);
                        if ($errno === 0) {
                            return $pair;
                        }
                        if ($errno !== self::ER_ACCESS_DENIED) {
                            return null;
                        }
                    }
                    if ($stage === null || $replaced) {
                        break;
                    }
                }
            }
            return null;
        }

        /** The secret's [username, password] for a stage, or null when it cannot be read. */
        private static function credentials(?string $stage, string $user): ?array
        {
            $secret = self::call('rds_secret_get', $stage);
            if (!is_array($secret) || !isset($secret['password'])) {
                return null;
            }
            return [$secret['username'] ?? $user, $secret['password']];
        }

        /** An rdssecret function of the default secret; null when it throws (the extension has logged why). */
        private static function call(string $function, ?string $stage)
        {
            try {
                return $function(null, $stage);
            } catch (RdsSecret\Exception $e) {
                return null;
            }
        }
    }
}

if (!trait_exists('RdsSecret_Wpdb_Rotation', false)) {
    /**
     * For a wpdb class whose connection goes through wpdb::db_connect(): rotation survival, and TLS verified
     * against RDSSECRET_DB_SSL_CA when it is defined (wpdb has no setting for a CA: this connects itself then).
     */
    trait RdsSecret_Wpdb_Rotation
    {
        public function db_connect($allow_bail = true)
        {
            $errno = 0;
            $logged_in = RdsSecret_Rotation::login(function (string $user, string $password): int {
                $this->dbuser = $user;
                $this->dbpassword = $password;
                return $this->rdssecret_connect_once();
            }, (string)$this->dbuser, (string)$this->dbpassword, $errno);
            if ($logged_in !== null) {
                return true;
            }
            if ($allow_bail) {
                // wp-settings.php shows the error page (or wp-content/db-error.php) once the connection failed.
                wp_load_translations_early();
                $this->bail('<h1>' . __('Error establishing a database connection') . "</h1>\n<p>"
                    . sprintf('The database at %s refused the connection (error %d).',
                        '<code>' . htmlspecialchars((string)$this->dbhost, ENT_QUOTES) . '</code>', $errno)
                    . "</p>\n", 'db_connect_fail');
            }
            return false;
        }

        /** One login with $this->dbuser and $this->dbpassword: 0, or the MySQL error number. */
        protected function rdssecret_connect_once(): int
        {
            if (!defined('RDSSECRET_DB_SSL_CA')) {
                return parent::db_connect(false) ? 0 : ((int)mysqli_connect_errno() ?: 2002);
            }
            // wpdb::db_connect() with mysqli, plus the CA: mysqlnd then verifies the certificate and the host name.
            $this->is_mysql = true;
            mysqli_report(MYSQLI_REPORT_OFF);
            $dbh = mysqli_init();
            $host = (string)$this->dbhost;
            $port = null;
            $socket = null;
            $host_data = $this->parse_db_host($host);
            if ($host_data) {
                [$host, $port, $socket, $is_ipv6] = $host_data;
                if ($is_ipv6 && extension_loaded('mysqlnd')) {
                    $host = "[$host]";
                }
            }
            $dbh->ssl_set(null, null, (string)RDSSECRET_DB_SSL_CA, null, null);
            $flags = (defined('MYSQL_CLIENT_FLAGS') ? (int)MYSQL_CLIENT_FLAGS : 0) | MYSQLI_CLIENT_SSL;
            $flags &= ~MYSQLI_CLIENT_SSL_DONT_VERIFY_SERVER_CERT;
            // mysqlnd says why TLS failed only in warnings (certificate verify failed, peer name...): keep them.
            $warnings = [];
            set_error_handler(static function (int $level, string $message) use (&$warnings): bool {
                $warnings[] = preg_replace('/\s+/', ' ', $message);
                return true;
            });
            try {
                $connected = $dbh->real_connect($host, $this->dbuser, $this->dbpassword, null, $port, $socket, $flags);
            } finally {
                restore_error_handler();
            }
            if (!$connected) {
                $errno = (int)($dbh->connect_errno ?: mysqli_connect_errno()) ?: 2002;
                if ($errno !== RdsSecret_Rotation::ER_ACCESS_DENIED) {
                    error_log(sprintf('rdssecret db.php: connecting to %s over TLS (CA %s) failed: %s', $this->dbhost,
                        RDSSECRET_DB_SSL_CA, implode('; ', array_unique($warnings)) ?: $dbh->connect_error));
                }
                $this->dbh = null;
                return $errno;
            }
            $this->dbh = $dbh;
            if (!$this->has_connected) {
                $this->init_charset();
            }
            $this->has_connected = true;
            $this->set_charset($this->dbh);
            $this->ready = true;
            $this->set_sql_mode();
            $this->select($this->dbname, $this->dbh);
            return 0;
        }
    }
}
