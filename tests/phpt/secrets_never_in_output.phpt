--TEST--
No secret value or credential appears in any message, exception, trace, log line, phpinfo() or rds_secret_info() output
--EXTENSIONS--
rdssecret
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
$password = 'pw-' . RS_TEST_MARKER . '-"\'$\\';
$fake->putSecret('leak/db', json_encode(['username' => 'user-' . RS_TEST_MARKER, 'password' => $password,
    'host' => 'h']));
$fake->control('put_secret', ['Name' => 'leak/binary', 'SecretBinary' => base64_encode(RS_TEST_MARKER . "\x01")]);
$fake->putSecret('leak/nopassword', json_encode(['token' => RS_TEST_MARKER]));
$log = tempnam(sys_get_temp_dir(), 'rs-log');
$ini = ['rdssecret.secret_id' => 'leak/db', 'rdssecret.allowed_secret_ids' => 'leak/binary leak/nopassword missing',
    'rdssecret.region' => 'us-east-1', 'rdssecret.ttl' => '1', 'rdssecret.max_stale' => '1',
    'rdssecret.refresh_min_interval' => '0', 'rdssecret.timeout_ms' => '500',
    'log_errors' => '1', 'error_log' => $log, 'display_errors' => '1', 'zend.exception_ignore_args' => '0',
    'html_errors' => '0'];

$scenarios = [
    /* success, then everything a monitoring page would print */
    'rds_secret_get(); rds_secret_password(); print_r(rds_secret_info()); phpinfo(INFO_MODULES); var_dump(rds_secret_info());',
    /* uncaught exceptions print their message and trace */
    'rds_secret_password("leak/binary");',
    'rds_secret_get("leak/binary");',
    'rds_secret_password("leak/nopassword");',
    'rds_secret_password("missing");',
    'try { rds_secret_password("leak/binary"); } catch (Exception $e) { var_dump($e); error_log((string)$e); }',
    /* failures after a value is cached: stale, then past max_stale */
    'rds_secret_password(); file_get_contents("' . $fake->url . '/__control/fault", false, stream_context_create(["http" => ["method" => "POST", "content" => "{\"target\": \"*\", \"kind\": \"status\", \"status\": 500, \"count\": -1}"]])); sleep(3); try { rds_secret_refresh(); } catch (Exception $e) { echo $e, "\n"; } print_r(rds_secret_info()); rds_secret_password();',
];
$outputs = '';
foreach ($scenarios as $i => $code) {
    $fake->control('clear_faults');
    [$out, $err] = rs_child_php($ini, $code);
    $outputs .= $out . $err;
}
[$out, $err] = rs_child_php($ini, 'rds_secret_password(); echo (new ReflectionExtension("rdssecret"))->info();');
$outputs .= $out . $err . file_get_contents($log);
unlink($log);

$forbidden = [RS_TEST_MARKER, $password, RS_TEST_SECRET_KEY, base64_encode(RS_TEST_MARKER . "\x01")];
foreach ($forbidden as $secret) {
    if (str_contains($outputs, $secret)) {
        echo "LEAK of a secret in the output\n";
    }
}
/* The output is not empty: the scenarios ran and failed the way they should. */
var_dump(strlen($outputs) > 2000);
var_dump(substr_count($outputs, 'RdsSecret\Exception') >= 6);
var_dump(str_contains($outputs, 'Secret leak/db (AWSCURRENT)'));
var_dump(str_contains($outputs, "more than max_stale"));
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
bool(true)
