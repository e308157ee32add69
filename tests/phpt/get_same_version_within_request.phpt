--TEST--
Within one request every call returns the same version; rds_secret_refresh() moves the request to the new one
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=prod/wordpress/db
rdssecret.region=us-east-1
rdssecret.ttl=1
rdssecret.refresh_min_interval=0
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
$fake->putSecret('prod/wordpress/db', json_encode(['username' => 'u1', 'password' => 'p1']));
$first = rds_secret_get();
$fake->putSecret('prod/wordpress/db', json_encode(['username' => 'u2', 'password' => 'p2']));
usleep(1300000);  /* past the TTL: the cache would refetch, but this request keeps its version */
var_dump(rds_secret_get() === $first, rds_secret_password());
var_dump($fake->count('GetSecretValue'));
var_dump(rds_secret_refresh());
var_dump(rds_secret_get());
var_dump($fake->count('GetSecretValue'));
?>
--EXPECT--
bool(true)
string(2) "p1"
int(1)
bool(true)
array(2) {
  ["username"]=>
  string(2) "u2"
  ["password"]=>
  string(2) "p2"
}
int(2)
