--TEST--
A secret in another region than the one the extension uses is not found, as in AWS: the message names the secret, and with the right region it is read
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=eu/db
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake, ['AWS_REGION' => 'us-west-2']);
$fake->putSecret('eu/db', json_encode(['password' => 'pw-eu']), ['Region' => 'eu-west-1']);
try {
    rds_secret_password();
} catch (RdsSecret\Exception $e) {
    echo rs_describe($e), "\n";
}
$code = 'echo rds_secret_password(), "\n";';
[$out, $err] = rs_child_php(['rdssecret.secret_id' => 'eu/db', 'rdssecret.region' => 'eu-west-1'], $code);
echo $out, $err;
?>
--EXPECTF--
RdsSecret\Exception 14: rdssecret: secret 'eu/db': Secrets Manager GetSecretValue failed: ResourceNotFoundException: %s (HTTP 400)
pw-eu
