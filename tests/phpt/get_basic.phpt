--TEST--
rds_secret_get() returns every field as a string, all from one version
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=prod/wordpress/db
rdssecret.allowed_secret_ids=plain/password, nested/secret
rdssecret.region=us-east-1
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
$fake->putSecret('prod/wordpress/db', json_encode([
    'engine' => 'mysql', 'host' => 'db.example.internal', 'port' => 3306, 'username' => 'wp',
    'password' => 'pw-' . RS_TEST_MARKER, 'dbname' => 'wordpress', 'ssl' => true, 'proxy' => null,
]));
$fake->putSecret('plain/password', 'just-a-password-' . RS_TEST_MARKER);
$fake->putSecret('nested/secret', json_encode(['password' => 'p', 'port' => '5432', 'options' => ['a' => 1, 'b' => [2, 3]]]));

$db = rds_secret_get();
$db['password'] = $db['password'] === 'pw-' . RS_TEST_MARKER ? '(matches)' : '(WRONG)';
var_dump($db);
var_dump(rds_secret_get('prod/wordpress/db', 'AWSCURRENT')['username']);
var_dump(rds_secret_get('plain/password') === ['password' => 'just-a-password-' . RS_TEST_MARKER]);
var_dump(rds_secret_password('plain/password') === 'just-a-password-' . RS_TEST_MARKER);
$nested = rds_secret_get('nested/secret');
var_dump($nested['port'], $nested['options']);
var_dump($fake->count('GetSecretValue'));
?>
--EXPECT--
array(8) {
  ["engine"]=>
  string(5) "mysql"
  ["host"]=>
  string(19) "db.example.internal"
  ["port"]=>
  string(4) "3306"
  ["username"]=>
  string(2) "wp"
  ["password"]=>
  string(9) "(matches)"
  ["dbname"]=>
  string(9) "wordpress"
  ["ssl"]=>
  string(4) "true"
  ["proxy"]=>
  string(0) ""
}
string(2) "wp"
bool(true)
bool(true)
string(4) "5432"
string(17) "{"a":1,"b":[2,3]}"
int(3)
