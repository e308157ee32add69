<?php
/**
 * rdssecret for wp-config.php: paste this block in place of the DB_NAME, DB_USER, DB_PASSWORD and DB_HOST
 * definitions (or require this file from wp-config.php). Every value comes from one version of the secret
 * named by rdssecret.secret_id in php.ini (or the FPM pool), so user and password always belong together.
 * Nothing here changes when the password is rotated.
 */
if (!function_exists('rds_secret_get')) {
    // Without the extension WordPress cannot reach its database: say why instead of a bare connection error.
    header('HTTP/1.1 503 Service Unavailable');
    die('The rdssecret PHP extension is not loaded (extension=rdssecret in php.ini).');
}
$rdssecret_db = rds_secret_get();
define('DB_NAME', $rdssecret_db['dbname'] ?? 'wordpress');
define('DB_USER', $rdssecret_db['username']);
define('DB_PASSWORD', $rdssecret_db['password']);
// WordPress takes "host:port" in DB_HOST.
define('DB_HOST', $rdssecret_db['host'] . (isset($rdssecret_db['port']) ? ':' . $rdssecret_db['port'] : ''));
// TLS to RDS: point MYSQL_SSL_CA at the RDS CA bundle and ask for TLS (see README).
if (!defined('MYSQL_CLIENT_FLAGS') && ($rdssecret_db['ssl'] ?? '') === 'true') {
    define('MYSQL_CLIENT_FLAGS', MYSQLI_CLIENT_SSL);
}
unset($rdssecret_db);
