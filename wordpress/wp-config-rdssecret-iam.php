<?php
/**
 * rdssecret for wp-config.php, IAM database authentication: WordPress logs in to RDS with a short-lived token that
 * rdssecret mints from the instance's AWS credentials, so no database password exists. Use this block instead of
 * wp-config-rdssecret.php (paste it in place of the DB_* definitions, or require this file), and install db.php,
 * rdssecret-wpdb.php and rdssecret-iam.php in wp-content/ (README, "IAM database authentication").
 *
 * Constants, defined before this block:
 *   RDSSECRET_DB_SSL_CA  required: the CA bundle of the server's certificate (RDS: the global bundle). The token is
 *       sent over TLS with the certificate and host name verified, or not at all.
 *   RDSSECRET_DB_HOST, RDSSECRET_DB_PORT (3306), RDSSECRET_DB_USER, RDSSECRET_DB_NAME
 *       the endpoint the token is signed for (the instance's or cluster's endpoint name, as clients connect to it),
 *       the database user (created WITH AWSAuthenticationPlugin) and the database. Any not defined comes from the
 *       secret named by rdssecret.secret_id (host, port, username, dbname; no password needed); with all four
 *       defined no secret is read at all.
 *   RDSSECRET_IAM_REGION optional: the database's region, when it is not the one rdssecret signs for.
 * php.ini or the FPM pool allows the account: rdssecret.iam_allowed = user@host:port.
 * When something is missing or refused, a visitor gets HTTP 503 and a neutral page, the error log one line naming
 * the code and the cause (never a token); WP-CLI and cron get the line on stderr and exit status 1.
 */
(static function (): void {
    $fail = static function (string $code, string $cause): void {
        $line = "rdssecret: wp-config (IAM): $code: $cause";
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
    $code = static function (RdsSecret\Exception $e): string {
        $codes = array_flip((new ReflectionClass($e))->getConstants());
        return $codes[$e->getCode()] ?? 'CODE_' . $e->getCode();
    };
    if (!function_exists('rds_iam_token')) {
        $fail('NOT_LOADED', 'the rdssecret PHP extension (0.2 or later, with rds_iam_token) is not loaded in this PHP ('
            . PHP_SAPI . '): add extension=rdssecret to its php.ini or conf.d, with the same rdssecret.* settings as php-fpm');
    }
    if (!defined('RDSSECRET_DB_SSL_CA') || !is_readable((string)RDSSECRET_DB_SSL_CA)) {
        $fail('CONFIG', 'IAM authentication sends the token in clear inside TLS: define RDSSECRET_DB_SSL_CA as a CA '
            . 'bundle this PHP can read (RDS: global-bundle.pem)');
    }
    $names = ['host' => 'RDSSECRET_DB_HOST', 'port' => 'RDSSECRET_DB_PORT', 'username' => 'RDSSECRET_DB_USER',
        'dbname' => 'RDSSECRET_DB_NAME'];
    $db = [];
    foreach ($names as $key => $constant) {
        if (defined($constant)) {
            $db[$key] = (string)constant($constant);
        }
    }
    if (count(array_diff_key($names, $db, ['port' => 1])) > 0) {
        $id = (string)ini_get('rdssecret.secret_id');
        try {
            $db += rds_secret_get();
        } catch (RdsSecret\Exception $e) {
            $fail($code($e), preg_replace('/^rdssecret: /', '', $e->getMessage()));
        }
        foreach (['host', 'username', 'dbname'] as $key) {
            if (($db[$key] ?? '') === '') {
                $fail('MALFORMED', "secret '$id' has no \"$key\" field (or define {$names[$key]} before this block)");
            }
        }
    }
    $port = ($db['port'] ?? '') === '' ? '3306' : $db['port'];
    if (!preg_match('/^[0-9]{1,5}$/', $port) || (int)$port < 1 || (int)$port > 65535) {
        $fail('MALFORMED', 'the port is not a number from 1 to 65535');
    }
    $region = defined('RDSSECRET_IAM_REGION') ? (string)RDSSECRET_IAM_REGION : null;
    try {
        // The token is the password. It comes from the host-wide cache (minted once for the host's workers and
        // renewed before it runs short), so it is valid for this request; db.php asks again for each connection.
        $token = rds_iam_token($db['host'], (int)$port, $db['username'], $region);
    } catch (RdsSecret\Exception $e) {
        $fail($code($e), preg_replace('/^rdssecret: /', '', $e->getMessage()));
    }
    define('RDSSECRET_IAM', true);
    define('DB_NAME', $db['dbname']);
    define('DB_USER', $db['username']);
    define('DB_PASSWORD', $token);
    define('DB_HOST', (filter_var($db['host'], FILTER_VALIDATE_IP, FILTER_FLAG_IPV6) ? "[{$db['host']}]" : $db['host'])
        . ':' . $port);
    if (!defined('MYSQL_CLIENT_FLAGS') && defined('MYSQLI_CLIENT_SSL')) {
        define('MYSQL_CLIENT_FLAGS', MYSQLI_CLIENT_SSL);
    }
})();
