--TEST--
Access denied (the instance role lacks secretsmanager:GetSecretValue, or KMS decrypt): ACCESS_DENIED, not retried
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=prod/wordpress/db
rdssecret.region=us-east-1
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
$fake->putSecret('prod/wordpress/db', json_encode(['password' => RS_TEST_MARKER]));
$fake->fault(['target' => 'GetSecretValue', 'kind' => 'error', 'status' => 400, 'code' => 'AccessDeniedException', 'count' => -1]);
try {
    rds_secret_password();
} catch (RdsSecret\Exception $e) {
    echo rs_describe($e), "\n";
    var_dump($e->getCode() === RdsSecret\Exception::ACCESS_DENIED);
}
var_dump($fake->count('GetSecretValue'));
?>
--EXPECTF--
RdsSecret\Exception 12: rdssecret: secret 'prod/wordpress/db': Secrets Manager GetSecretValue failed: AccessDeniedException%s(HTTP 400)
bool(true)
int(1)
