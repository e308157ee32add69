--TEST--
Secrets Manager failing with 500 and 503 on a cold cache: three attempts, then SERVICE; throttled throughout: THROTTLED
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=prod/wordpress/db
rdssecret.allowed_secret_ids=other/db
rdssecret.region=us-east-1
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
$fake->putSecret('prod/wordpress/db', json_encode(['password' => 'pw']));
$fake->putSecret('other/db', json_encode(['password' => 'pw']));
$fake->fault(['target' => 'GetSecretValue', 'kind' => 'status', 'status' => 500, 'count' => 2]);
$fake->fault(['target' => 'GetSecretValue', 'kind' => 'status', 'status' => 503, 'count' => 1]);
try {
    rds_secret_password();
} catch (RdsSecret\Exception $e) {
    echo rs_describe($e), "\n";
}
var_dump($fake->count('GetSecretValue'));
$fake->fault(['target' => 'GetSecretValue', 'kind' => 'throttle', 'count' => -1]);
try {
    rds_secret_password('other/db');
} catch (RdsSecret\Exception $e) {
    echo rs_describe($e), "\n";
    var_dump($e->getCode() === RdsSecret\Exception::THROTTLED);
}
var_dump($fake->count('GetSecretValue'));
?>
--EXPECTF--
RdsSecret\Exception 11: rdssecret: secret 'prod/wordpress/db': Secrets Manager GetSecretValue failed: ServiceUnavailable%s(HTTP 503) after 3 attempts
int(3)
RdsSecret\Exception 10: rdssecret: secret 'other/db': Secrets Manager GetSecretValue failed: ThrottlingException%s(HTTP 400) after 3 attempts
bool(true)
int(6)
