--TEST--
A SecretBinary secret is refused with a clear error, and a JSON secret without a password field too
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=bin/secret
rdssecret.allowed_secret_ids=no/password
rdssecret.region=us-east-1
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
$fake->control('put_secret', ['Name' => 'bin/secret', 'SecretBinary' => base64_encode("\x01\x02" . RS_TEST_MARKER)]);
$fake->putSecret('no/password', json_encode(['username' => 'u']));
foreach (['rds_secret_password', 'rds_secret_get'] as $fn) {
    try {
        $fn();
    } catch (RdsSecret\Exception $e) {
        echo rs_describe($e), "\n";
        var_dump($e->getCode() === RdsSecret\Exception::UNSUPPORTED);
    }
}
try {
    rds_secret_password('no/password');
} catch (RdsSecret\Exception $e) {
    echo rs_describe($e), "\n";
}
var_dump(rds_secret_get('no/password'));
?>
--EXPECT--
RdsSecret\Exception 23: rdssecret: secret 'bin/secret': the secret is binary (SecretBinary); a password must be a SecretString
bool(true)
RdsSecret\Exception 23: rdssecret: secret 'bin/secret': the secret is binary (SecretBinary); rds_secret_get() needs a SecretString
bool(true)
RdsSecret\Exception 9: rdssecret: secret 'no/password': the secret is a JSON object without a "password" field
array(1) {
  ["username"]=>
  string(1) "u"
}
