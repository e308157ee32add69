--TEST--
rds_secret_refresh() fetches now, then is refused (false, no request) until rdssecret.refresh_min_interval has passed
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=prod/wordpress/db
rdssecret.region=us-east-1
rdssecret.refresh_min_interval=2
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
$fake->putSecret('prod/wordpress/db', json_encode(['password' => 'v1']));
var_dump(rds_secret_password());
$fake->putSecret('prod/wordpress/db', json_encode(['password' => 'v2']));
var_dump(rds_secret_refresh(), rds_secret_password());
$fake->putSecret('prod/wordpress/db', json_encode(['password' => 'v3']));
var_dump(rds_secret_refresh(), rds_secret_refresh(), rds_secret_password());
var_dump($fake->count('GetSecretValue'));
usleep(2100000);
var_dump(rds_secret_refresh(), rds_secret_password());
$info = rds_secret_info()['secrets'][0];
var_dump($info['forced_refreshes'], $info['forced_refused'], $fake->count('GetSecretValue'));
?>
--EXPECT--
string(2) "v1"
bool(true)
string(2) "v2"
bool(false)
bool(false)
string(2) "v2"
int(2)
bool(true)
string(2) "v3"
int(2)
int(2)
int(3)
