--TEST--
Secrets Manager too slow: TIMEOUT after the configured timeout and attempts
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=prod/wordpress/db
rdssecret.region=us-east-1
rdssecret.timeout_ms=300
rdssecret.connect_timeout_ms=300
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
$fake->putSecret('prod/wordpress/db', json_encode(['password' => 'pw']));
$fake->fault(['target' => 'GetSecretValue', 'kind' => 'delay', 'delay_ms' => 2000, 'count' => -1]);
try {
    rds_secret_password();
} catch (RdsSecret\Exception $e) {
    echo rs_describe($e), "\n";
    var_dump($e->getCode() === RdsSecret\Exception::TIMEOUT);
}
var_dump($fake->count('GetSecretValue'));
?>
--EXPECTF--
RdsSecret\Exception 6: rdssecret: secret 'prod/wordpress/db': POST http://127.0.0.1:%d/ failed: %s after 3 attempts
bool(true)
int(3)
