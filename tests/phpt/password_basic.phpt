--TEST--
rds_secret_password() returns the password byte for byte, from one fetch per TTL
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
/* Quotes, backslashes, $, a newline, control bytes and multi-byte UTF-8: what breaks a rewritten wp-config.php. */
$password = "q\"u'o`te\\back\$slash\n{" . RS_TEST_MARKER . "}\x01\x7f café €🔑 %s";
$fake->putSecret('prod/wordpress/db', json_encode(['username' => 'wp', 'password' => $password]));

var_dump(rds_secret_password() === $password);
var_dump(rds_secret_password('prod/wordpress/db') === $password);
for ($i = 0; $i < 1000; $i++) {
    rds_secret_password();
}
var_dump($fake->count('GetSecretValue'));
/* The returned string belongs to the script: changing it does not touch the cache. */
$copy = rds_secret_password();
$copy[0] = 'X';
var_dump(rds_secret_password() === $password);
?>
--EXPECT--
bool(true)
bool(true)
int(1)
bool(true)
