--TEST--
Throttled twice, then answered: the call succeeds after retries with backoff
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
$fake->putSecret('prod/wordpress/db', json_encode(['password' => 'pw']));
$fake->fault(['target' => 'GetSecretValue', 'kind' => 'throttle', 'count' => 2]);
var_dump(rds_secret_password());
var_dump($fake->count('GetSecretValue'));
$info = rds_secret_info()['secrets'][0];
var_dump($info['fetches'], $info['errors']);
?>
--EXPECT--
string(2) "pw"
int(3)
int(1)
int(0)
