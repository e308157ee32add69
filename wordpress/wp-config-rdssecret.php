<?php
/**
 * rdssecret for wp-config.php: paste this block in place of the DB_NAME, DB_USER, DB_PASSWORD and DB_HOST
 * definitions, or require this file from wp-config.php. Every value comes from one version of the secret named
 * by rdssecret.secret_id (php.ini or the FPM pool), so user and password always belong together, and nothing
 * here changes when the password is rotated.
 *
 * Optional constants, defined before this block:
 *   RDSSECRET_DB_HOST, RDSSECRET_DB_PORT, RDSSECRET_DB_NAME
 *       used instead of the secret's host, port and dbname: an RDS-managed master secret holds only username
 *       and password; or point WordPress at an RDS Proxy endpoint. Without them the secret must hold host and
 *       dbname (port defaults to 3306).
 *   RDSSECRET_DB_SSL_CA
 *       a CA bundle (for RDS: the RDS global bundle): TLS to the database, with its certificate and host name
 *       verified. Needs the db.php drop-in (WordPress itself has no setting for a CA).
 * When the secret cannot be read, a visitor gets HTTP 503 with Retry-After and a neutral page, and the error log
 * one line naming the code, the secret and the cause (never a value); WP-CLI and cron get that line on stderr
 * and exit status 1.
 */
(static function (): void {
    $fail = static function (string $code, string $cause): void {
        $line = "rdssecret: wp-config: $code: $cause";
        if (PHP_SAPI === 'cli' || PHP_SAPI === 'phpdbg') {
            file_put_contents('php://stderr', $line . "\n");
            exit(1);
        }
        error_log($line);
        if (!headers_sent()) {
            http_response_code(503);
            header('Retry-After: 30');
            header('Cache-Control: no-store');
            header('Content-Type: text/html; charset=utf-8');
        }
        echo "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Service unavailable</title></head>\n",
            "<body><h1>Service unavailable</h1><p>Please try again in a minute.</p></body></html>\n";
        exit(1);
    };
    if (!function_exists('rds_secret_get')) {
        $fail('NOT_LOADED', 'the rdssecret PHP extension is not loaded in this PHP (' . PHP_SAPI . '): add '
            . 'extension=rdssecret to its php.ini or conf.d, with the same rdssecret.* settings as php-fpm');
    }
    $id = (string)ini_get('rdssecret.secret_id');
    try {
        $db = rds_secret_get();
    } catch (RdsSecret\Exception $e) {
        $codes = array_flip((new ReflectionClass($e))->getConstants());
        $fail($codes[$e->getCode()] ?? 'CODE_' . $e->getCode(), preg_replace('/^rdssecret: /', '', $e->getMessage()));
    }
    if (!isset($db['username']) && array_keys($db) === ['password']) {
        $fail('MALFORMED', "secret '$id': its SecretString is not a JSON object with a \"username\" (plain text is "
            . 'read as a bare password); store the JSON that RDS uses: {"username": ..., "password": ..., ...}');
    }
    $field = static function (string $key, ?string $constant, ?string $default = null) use ($db, $id, $fail): string {
        $value = $constant !== null && defined($constant) ? (string)constant($constant) : (string)($db[$key] ?? '');
        if ($value === '' && $default === null) {
            $fail('MALFORMED', "secret '$id': the secret has no \"$key\" field"
                . ($constant !== null ? " (define $constant before the rdssecret block in wp-config.php)" : ''));
        }
        return $value === '' ? (string)$default : $value;
    };
    $user = $field('username', null);
    $password = $field('password', null);
    $host = $field('host', 'RDSSECRET_DB_HOST');
    $port = $field('port', 'RDSSECRET_DB_PORT', '3306');
    $name = $field('dbname', 'RDSSECRET_DB_NAME');
    if (!preg_match('/^[0-9]{1,5}$/', $port) || (int)$port < 1 || (int)$port > 65535) {
        $fail('MALFORMED', "secret '$id': the port is not a number from 1 to 65535"
            . (defined('RDSSECRET_DB_PORT') ? ' (RDSSECRET_DB_PORT)' : ''));
    }
    if (defined('RDSSECRET_DB_SSL_CA') && !is_readable((string)RDSSECRET_DB_SSL_CA)) {
        $fail('CONFIG', 'RDSSECRET_DB_SSL_CA names a file this PHP cannot read: ' . RDSSECRET_DB_SSL_CA);
    }
    define('DB_NAME', $name);
    define('DB_USER', $user);
    define('DB_PASSWORD', $password);
    // WordPress takes "host:port" in DB_HOST, an IPv6 address in brackets.
    define('DB_HOST', (filter_var($host, FILTER_VALIDATE_IP, FILTER_FLAG_IPV6) ? "[$host]" : $host) . ':' . $port);
    if (defined('RDSSECRET_DB_SSL_CA') && !defined('MYSQL_CLIENT_FLAGS') && defined('MYSQLI_CLIENT_SSL')) {
        define('MYSQL_CLIENT_FLAGS', MYSQLI_CLIENT_SSL);
    }
})();
