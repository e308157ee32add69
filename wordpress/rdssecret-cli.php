<?php
/**
 * Plugin Name: rdssecret WP-CLI commands
 * Description: wp rdssecret status | check | refresh: the database secret (or, in IAM mode, token) as this process sees it, a login with it, a forced refresh. Never a secret.
 * Version: 0.1.0
 * License: Apache-2.0
 *
 * Install as a must-use plugin (wp-content/mu-plugins/) or a plugin; it does nothing outside WP-CLI. A WP-CLI
 * process is not a php-fpm worker: it has its own cache, php.ini and environment (often another user), so it
 * needs the extension and the same rdssecret.* settings and AWS credentials as php-fpm.
 */
defined('ABSPATH') || exit;

if (defined('WP_CLI') && WP_CLI && !class_exists('RdsSecret_CLI_Command', false)) {
    /**
     * The database secret rdssecret serves to WordPress: its state, a login with it, a forced refresh.
     *
     * This process's cache is its own (a CLI process does not share php-fpm's); what these commands show and
     * refresh is what WP-CLI and cron see. Site Health shows php-fpm's.
     */
    class RdsSecret_CLI_Command
    {
        /**
         * Shows the configuration, where the AWS credentials come from, the cache as this process sees it and
         * the last errors. Never a value.
         *
         * ## OPTIONS
         *
         * [--format=<format>]
         * : text or json.
         * ---
         * default: text
         * ---
         *
         * ## EXAMPLES
         *
         *     wp rdssecret status
         *     wp rdssecret status --format=json
         */
        public function status($args, $assoc_args)
        {
            $state = self::state();
            if (($assoc_args['format'] ?? 'text') === 'json') {
                WP_CLI::line((string)json_encode($state, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES));
                return;
            }
            $rows = [
                'Extension' => 'rdssecret ' . $state['version'],
                'Secret' => $state['secret_id'] . ' (stage ' . $state['version_stage'] . ')',
                'Region' => $state['region'] ?? '(from instance metadata at the first fetch)',
                'Endpoint' => (string)$state['endpoint'],
                'AWS credentials' => $state['credential_source'] ?? 'not looked up by this process (nothing fetched yet)',
                'Settings' => implode(' ', array_map(static function ($k, $v) {
                    return "$k=$v";
                }, array_keys($state['settings']), $state['settings'])),
                'Database' => sprintf('%s, database %s, user %s, TLS %s', $state['database']['host'],
                    $state['database']['name'], $state['database']['user'], $state['database']['tls_ca'] !== null
                        ? 'verified against ' . $state['database']['tls_ca'] : 'not verified (RDSSECRET_DB_SSL_CA unset)'),
                'Rotation survival' => $state['rotation_survival'] ? 'yes (' . $state['database']['class'] . ')'
                    : 'no: ' . $state['database']['class'] . ' (install db.php and rdssecret-wpdb.php)',
            ];
            if ($state['iam'] !== null) {
                unset($rows['Rotation survival']);
                $iam = $state['iam'];
                $rows['IAM authentication'] = ($iam['db_class_logs_in_with_tokens'] ? 'yes' : 'no: '
                    . $state['database']['class'] . ' does not log in with tokens (install db.php, rdssecret-wpdb.php, '
                    . 'rdssecret-iam.php)') . '; account ' . $iam['account'] . ($iam['token'] === null
                    ? '; no token cached by this process' : sprintf('; region %s, token renewed in %d s, valid %d s more, '
                    . '%d minted, %d failed', $iam['token']['region'], (int)$iam['token']['renewed_in'],
                    (int)$iam['token']['expires_in'], $iam['token']['mintings'], $iam['token']['errors']));
            }
            foreach ($rows as $label => $value) {
                WP_CLI::line(sprintf('%-18s %s', $label . ':', $value));
            }
            WP_CLI::line('Cache of this process (' . ($state['shared_cache'] ?? 'none') . '):');
            foreach ($state['cached'] as $slot) {
                WP_CLI::line(sprintf('  %s (%s): %s', $slot['secret_id'], $slot['version_stage'], $slot['summary']));
                if ($slot['last_error'] !== null) {
                    WP_CLI::line('    last error: ' . $slot['last_error']);
                }
            }
            if (!$state['cached']) {
                WP_CLI::line('  nothing cached');
            }
            WP_CLI::line('A WP-CLI process has its own cache: Site Health shows what the php-fpm workers share.');
        }

        /**
         * Reads the secret as wp-config.php does, logs in to the database with it and runs SELECT 1. Exit status
         * 0 when that works (also when a refused copy was replaced by a fresh one that logs in), 1 otherwise: for
         * scripts and health checks.
         *
         * ## OPTIONS
         *
         * [--stage=<stage>]
         * : log in with this version stage instead (AWSPENDING during a rotation).
         *
         * ## EXAMPLES
         *
         *     wp rdssecret check && echo database credentials OK
         */
        public function check($args, $assoc_args)
        {
            $stage = isset($assoc_args['stage']) ? (string)$assoc_args['stage'] : null;
            if (defined('RDSSECRET_IAM')) {
                if ($stage !== null) {
                    WP_CLI::error('IAM mode (wp-config-rdssecret-iam.php): WordPress logs in with a token, not a version '
                        . 'of a secret; --stage does not apply');
                }
                self::check_iam();
                return;
            }
            $secret = self::read($stage);
            $version = self::version_of($stage);
            if (!isset($secret['username'], $secret['password'])) {
                WP_CLI::error("version $version of the secret has no username or password field");
            }
            $mysqli = null;
            $attempt = static function (string $user, string $password) use (&$mysqli): int {
                $mysqli = RdsSecret_CLI_Command::connect($user, $password);
                return is_int($mysqli) ? $mysqli : 0;
            };
            $errno = 0;
            if ($stage === null && class_exists('RdsSecret_Rotation')) {
                $logged_in = RdsSecret_Rotation::login($attempt, $secret['username'], $secret['password'], $errno);
            } else {
                $errno = $attempt($secret['username'], $secret['password']);
                $logged_in = $errno === 0 ? [$secret['username'], $secret['password']] : null;
            }
            if ($logged_in === null || !$mysqli instanceof mysqli) {
                WP_CLI::error(sprintf('the database at %s refused version %s of %s (error %d: %s)', DB_HOST, $version,
                    ini_get('rdssecret.secret_id'), $errno, self::$last_error));
            }
            $now = self::version_of($stage);
            if ($now !== $version) {
                WP_CLI::warning("the cached version $version was refused; version $now logs in");
            }
            WP_CLI::success(sprintf('logged in to %s as %s with version %s of %s (%s)', DB_HOST, $logged_in[0], $now,
                ini_get('rdssecret.secret_id'), self::select_one($mysqli)));
        }

        /**
         * check in IAM mode: a token for DB_USER at DB_HOST from this process's cache, a login with it over
         * verified TLS (as db.php does: once more with a token signed anew when refused), SELECT 1.
         */
        private static function check_iam(): void
        {
            global $wpdb;
            if (!defined('RDSSECRET_DB_SSL_CA') || !is_readable((string)RDSSECRET_DB_SSL_CA)) {
                WP_CLI::error('RDSSECRET_DB_SSL_CA must name a CA bundle this PHP can read (RDS: global-bundle.pem): '
                    . 'IAM tokens go over verified TLS only');
            }
            [$host, $port, $region, $account] = self::iam_account();
            $mysqli = 0;
            for ($attempt = 0; $attempt < 2; $attempt++) {
                try {
                    if ($attempt > 0) {
                        WP_CLI::warning('the database refused the cached token; signing a new one');
                        rds_iam_token_refresh($host, $port, DB_USER, $region);
                    }
                    $mysqli = self::connect(DB_USER, rds_iam_token($host, $port, DB_USER, $region));
                } catch (RdsSecret\Exception $e) {
                    WP_CLI::error(self::describe($e));
                }
                if ($mysqli !== 1045) {   // ER_ACCESS_DENIED: maybe the token, not TLS or the network
                    break;
                }
            }
            if (!$mysqli instanceof mysqli) {
                WP_CLI::error(sprintf('the database at %s refused an IAM token for %s (error %d: %s)', DB_HOST, DB_USER,
                    $mysqli, self::$last_error));
            }
            $token = self::iam_token(rds_secret_info(), $account);
            WP_CLI::success(sprintf('logged in to %s as %s with an IAM token (region %s, valid %s s more; %s)', DB_HOST,
                DB_USER, $token['region'] ?? '?', $token['expires_in'] ?? '?', self::select_one($mysqli)));
        }

        /** WordPress's IAM account: [host, port, region (null: rdssecret's), "user@host:port"]. */
        private static function iam_account(): array
        {
            global $wpdb;
            [$host, $port] = $wpdb->parse_db_host(DB_HOST) ?: [DB_HOST, null];
            $port = (int)($port ?: 3306);
            return [$host, $port, defined('RDSSECRET_IAM_REGION') ? (string)RDSSECRET_IAM_REGION : null,
                sprintf('%s@%s:%d', DB_USER, $host, $port)];
        }

        /** The token state rds_secret_info() shows for an account (never the token), or null. */
        private static function iam_token(array $info, string $account): ?array
        {
            foreach ($info['iam_tokens'] ?? [] as $t) {
                if ($t['account'] === $account) {
                    return $t;
                }
            }
            return null;
        }

        /** SELECT 1 on a connection, which it then closes: "TLSv1.3, certificate verified" or the like. */
        private static function select_one(mysqli $mysqli): string
        {
            $tls = $mysqli->query("SHOW SESSION STATUS LIKE 'Ssl_version'");
            $tls = $tls ? ($tls->fetch_row()[1] ?? '') : '';
            $ok = $mysqli->query('SELECT 1');
            $mysqli->close();
            if (!$ok) {
                WP_CLI::error('logged in, but SELECT 1 failed');
            }
            return $tls === '' ? 'no TLS' : $tls . (defined('RDSSECRET_DB_SSL_CA')
                ? ', certificate verified' : ', certificate not verified');
        }

        /**
         * Fetches the secret again now, bypassing the TTL (rate-limited by rdssecret.refresh_min_interval), into
         * this process's cache. php-fpm's workers share another cache: refresh that one from Site Health.
         *
         * ## OPTIONS
         *
         * [--stage=<stage>]
         * : the version stage to refresh (default: rdssecret.version_stage).
         *
         * ## EXAMPLES
         *
         *     wp rdssecret refresh
         */
        public function refresh($args, $assoc_args)
        {
            $stage = isset($assoc_args['stage']) ? (string)$assoc_args['stage'] : null;
            if (defined('RDSSECRET_IAM') && $stage === null) {
                // IAM mode: a token signed anew (the credentials fetched again) for WordPress's account.
                [$host, $port, $region] = self::iam_account();
                try {
                    $signed = rds_iam_token_refresh($host, $port, DB_USER, $region);
                } catch (RdsSecret\Exception $e) {
                    WP_CLI::error(self::describe($e));
                }
                if (!$signed) {
                    WP_CLI::warning('not signed: another refresh ran less than rdssecret.refresh_min_interval '
                        . 'seconds ago');
                    return;
                }
                WP_CLI::success(sprintf('signed a new IAM token for %s at %s into this process\'s cache', DB_USER,
                    DB_HOST));
                return;
            }
            self::read($stage);  // the refresh replaces the copy this process holds
            $before = self::version_of($stage);
            try {
                $refreshed = rds_secret_refresh(null, $stage);
            } catch (RdsSecret\Exception $e) {
                WP_CLI::error(self::describe($e));
            }
            if (!$refreshed) {
                WP_CLI::warning('not fetched: another refresh ran less than rdssecret.refresh_min_interval seconds ago');
                return;
            }
            self::read($stage);
            WP_CLI::success(sprintf('fetched %s into this process\'s cache: version %s (was %s)',
                ini_get('rdssecret.secret_id'), self::version_of($stage), $before));
        }

        /** @var string the last connection error (never holds a password) */
        public static $last_error = '';

        /** A mysqli logged in with WordPress's DB_HOST, DB_NAME and TLS settings, or the MySQL error number. */
        public static function connect(string $user, string $password)
        {
            global $wpdb;
            mysqli_report(MYSQLI_REPORT_OFF);
            $host = DB_HOST;
            $port = null;
            $socket = null;
            $parsed = $wpdb->parse_db_host(DB_HOST);
            if ($parsed) {
                [$host, $port, $socket, $is_ipv6] = $parsed;
                $host = $is_ipv6 ? "[$host]" : $host;
            }
            $mysqli = mysqli_init();
            $flags = defined('MYSQL_CLIENT_FLAGS') ? (int)MYSQL_CLIENT_FLAGS : 0;
            if (defined('RDSSECRET_DB_SSL_CA')) {
                $mysqli->ssl_set(null, null, (string)RDSSECRET_DB_SSL_CA, null, null);
                $flags = ($flags | MYSQLI_CLIENT_SSL) & ~MYSQLI_CLIENT_SSL_DONT_VERIFY_SERVER_CERT;
            }
            if (!@$mysqli->real_connect($host, $user, $password, DB_NAME, $port, $socket, $flags)) {
                self::$last_error = (string)($mysqli->connect_error ?: mysqli_connect_error());
                return (int)($mysqli->connect_errno ?: mysqli_connect_errno()) ?: 2002;
            }
            return $mysqli;
        }

        /** Configuration and cache state for status (no value, no credential). */
        private static function state(): array
        {
            global $wpdb;
            $info = rds_secret_info();
            $cached = [];
            foreach ($info['secrets'] ?? [] as $slot) {
                $summary = $slot['version_id'] === null ? 'no value' : sprintf('version %s, fetched %d s ago, %s',
                    $slot['version_id'], (int)$slot['age'], $slot['expires_in'] >= 0
                        ? sprintf('refreshed in %d s', (int)$slot['expires_in'])
                        : sprintf('%d s past its TTL', -(int)$slot['expires_in']));
                $cached[] = [
                    'secret_id' => $slot['secret_id'], 'version_stage' => $slot['version_stage'],
                    'version_id' => $slot['version_id'], 'age' => $slot['age'] ?? null,
                    'expires_in' => $slot['expires_in'] ?? null, 'fetches' => $slot['fetches'],
                    'errors' => $slot['errors'], 'stale_served' => $slot['stale_served'],
                    'login_failures' => $slot['login_failures'],
                    'summary' => $summary . sprintf('; %d fetched, %d failed, %d served stale, %d refused logins',
                        $slot['fetches'], $slot['errors'], $slot['stale_served'], $slot['login_failures']),
                    'last_error' => $slot['last_error_message'] === null ? null
                        : $slot['last_error'] . ': ' . $slot['last_error_message'],
                ];
            }
            $settings = [];
            foreach (['ttl', 'max_stale', 'refresh_min_interval', 'fetch_timeout_ms', 'timeout_ms'] as $name) {
                $settings[$name] = (string)ini_get("rdssecret.$name");
            }
            $survives = false;
            $tokens = false;
            for ($class = get_class($wpdb); $class; $class = get_parent_class($class)) {
                $survives = $survives || in_array('RdsSecret_Wpdb_Rotation', class_uses($class), true);
                $tokens = $tokens || in_array('RdsSecret_Wpdb_IAM', class_uses($class), true);
            }
            $iam = null;
            if (defined('RDSSECRET_IAM')) {
                $account = self::iam_account()[3];
                $iam = ['account' => $account, 'db_class_logs_in_with_tokens' => $tokens,
                    'token' => self::iam_token($info, $account)];
            }
            return [
                'version' => $info['version'], 'secret_id' => $info['secret_id'],
                'version_stage' => (string)ini_get('rdssecret.version_stage') ?: 'AWSCURRENT',
                'region' => $info['region'], 'endpoint' => $info['endpoint'],
                'credential_source' => $info['credential_source'], 'settings' => $settings,
                'database' => ['host' => DB_HOST, 'name' => DB_NAME, 'user' => DB_USER, 'class' => get_class($wpdb),
                    'tls_ca' => defined('RDSSECRET_DB_SSL_CA') ? (string)RDSSECRET_DB_SSL_CA : null],
                'rotation_survival' => $survives,
                'iam' => $iam,
                'shared_cache' => isset($info['shm']) ? sprintf('%d of %d slots used', $info['shm']['slots_used'],
                    $info['shm']['slots']) : null,
                'cached' => $cached,
            ];
        }

        private static function read(?string $stage): array
        {
            try {
                return rds_secret_get(null, $stage);
            } catch (RdsSecret\Exception $e) {
                WP_CLI::error(self::describe($e));
            }
            return [];
        }

        /** The version this process's cache holds for the default secret and a stage. */
        private static function version_of(?string $stage): string
        {
            $stage = $stage ?? ((string)ini_get('rdssecret.version_stage') ?: 'AWSCURRENT');
            foreach (rds_secret_info()['secrets'] ?? [] as $slot) {
                if ($slot['secret_id'] === ini_get('rdssecret.secret_id') && $slot['version_stage'] === $stage) {
                    return (string)$slot['version_id'];
                }
            }
            return '(none)';
        }

        /** An exception as "CODE_NAME: message" (the message names the secret and the cause, never a value). */
        private static function describe(RdsSecret\Exception $e): string
        {
            $codes = array_flip((new ReflectionClass($e))->getConstants());
            return ($codes[$e->getCode()] ?? 'CODE_' . $e->getCode()) . ': '
                . preg_replace('/^rdssecret: /', '', $e->getMessage());
        }
    }

    WP_CLI::add_command('rdssecret', 'RdsSecret_CLI_Command');
}
