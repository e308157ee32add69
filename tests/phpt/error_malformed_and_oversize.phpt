--TEST--
A body that is not JSON, and bodies larger than the protocol allows (with and without Content-Length), are refused
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=a/db
rdssecret.allowed_secret_ids=b/db c/db
rdssecret.region=us-east-1
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
foreach (['a/db', 'b/db', 'c/db'] as $id) {
    $fake->putSecret($id, json_encode(['password' => 'pw']));
}
$fake->fault(['target' => 'GetSecretValue', 'kind' => 'malformed', 'count' => 1]);
$fake->fault(['target' => 'GetSecretValue', 'kind' => 'oversize', 'size' => 8 << 20, 'count' => 1]);
$fake->fault(['target' => 'GetSecretValue', 'kind' => 'oversize_chunked', 'size' => 8 << 20, 'count' => 1]);
foreach (['a/db', 'b/db', 'c/db'] as $id) {
    try {
        rds_secret_password($id);
        echo "no error\n";
    } catch (RdsSecret\Exception $e) {
        echo rs_describe($e), "\n";
    }
}
var_dump($fake->count('GetSecretValue'));
?>
--EXPECTF--
RdsSecret\Exception 9: rdssecret: secret 'a/db': Secrets Manager GetSecretValue answered with a body that is not a JSON object
RdsSecret\Exception 8: rdssecret: secret 'b/db': response from 127.0.0.1 is larger than 524288 bytes
RdsSecret\Exception 8: rdssecret: secret 'c/db': response from 127.0.0.1 is larger than 524288 bytes
int(3)
