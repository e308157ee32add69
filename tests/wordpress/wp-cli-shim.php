<?php
/**
 * Test code only: the few WP_CLI calls rdssecret's command class makes, so that `wp rdssecret ...` runs through
 * WordPress's own loading (wp-load.php: wp-config.php, the rdssecret block, db.php, the mu-plugins) without
 * WP-CLI, which Debian does not package. Like WP-CLI: "Success:" on stdout, "Warning:"/"Error:" on stderr, an
 * error exits 1.
 *
 *   php wp-cli-shim.php SITE_DIR COMMAND SUBCOMMAND [ARG...] [--NAME[=VALUE]...]
 */
define('WP_CLI', true);

class WP_CLI
{
    public static $commands = [];

    public static function add_command($name, $callable)
    {
        self::$commands[$name] = $callable;
    }

    public static function line($message = '')
    {
        fwrite(STDOUT, $message . "\n");
    }

    public static function log($message)
    {
        self::line($message);
    }

    public static function success($message)
    {
        self::line("Success: $message");
    }

    public static function warning($message)
    {
        fwrite(STDERR, "Warning: $message\n");
    }

    public static function error($message, $exit = true)
    {
        fwrite(STDERR, "Error: $message\n");
        if ($exit) {
            exit(1);
        }
    }

    public static function halt($code)
    {
        exit($code);
    }
}

[, $site, $command, $subcommand] = $argv + [null, null, null, null];
$args = [];
$assoc = [];
foreach (array_slice($argv, 4) as $arg) {
    if (preg_match('/^--([^=]+)(?:=(.*))?$/s', $arg, $m)) {
        $assoc[$m[1]] = $m[2] ?? true;
    } else {
        $args[] = $arg;
    }
}
// What WP-CLI sets up for WordPress before loading it.
$_SERVER['HTTP_HOST'] = $_SERVER['SERVER_NAME'] = 'localhost';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
require $site . '/wp-load.php';
$class = WP_CLI::$commands[$command] ?? null;
if ($class === null || !method_exists($class, (string)$subcommand)) {
    WP_CLI::error("'$command $subcommand' is not a registered wp command.");
}
(new $class())->$subcommand($args, $assoc);
exit(0);
