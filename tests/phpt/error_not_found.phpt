--TEST--
A secret that does not exist: RdsSecret\Exception NOT_FOUND naming the secret, one request, then host-wide backoff
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=missing/secret
rdssecret.region=us-east-1
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
for ($i = 0; $i < 3; $i++) {
    try {
        rds_secret_password();
    } catch (RdsSecret\Exception $e) {
        echo rs_describe($e), "\n";
    }
}
var_dump($e->getCode() === RdsSecret\Exception::NOT_FOUND, $e instanceof RuntimeException);
/* Retrying a missing secret in a loop would hammer AWS: failures back off, host-wide. */
var_dump($fake->count('GetSecretValue'));
$info = rds_secret_info()['secrets'][0];
var_dump($info['errors'], $info['last_error'], $info['last_error_aws_code'], $info['version_id']);
?>
--EXPECTF--
RdsSecret\Exception 14: rdssecret: secret 'missing/secret': Secrets Manager GetSecretValue failed: ResourceNotFoundException: %s (HTTP 400)
RdsSecret\Exception 14: rdssecret: secret 'missing/secret': Secrets Manager GetSecretValue failed: ResourceNotFoundException: %s (HTTP 400)
RdsSecret\Exception 14: rdssecret: secret 'missing/secret': Secrets Manager GetSecretValue failed: ResourceNotFoundException: %s (HTTP 400)
bool(true)
bool(true)
int(1)
int(1)
string(9) "not_found"
string(25) "ResourceNotFoundException"
NULL
