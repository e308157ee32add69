--TEST--
Values a script holds stay valid and intact when the cache moves to a new version in the same request; modifying them never touches the cache
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=prod/wordpress/db
rdssecret.region=us-east-1
rdssecret.refresh_min_interval=0
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
$held = [];
for ($i = 1; $i <= 5; $i++) {
    $fake->putSecret('prod/wordpress/db', json_encode(['username' => "u$i", 'password' => "p$i", '42' => 'numeric key']));
    rds_secret_refresh();
    $pw = rds_secret_password();
    $all = rds_secret_get();
    $held[] = [$pw, $all];
    $pw .= '-changed';         /* a script's own copy */
    $all['password'] .= '!';
    unset($pw, $all);
}
foreach ($held as $i => [$pw, $all]) {
    echo $pw, ' ', $all['username'], ' ', $all['password'], ' ', var_export(array_keys($all), true), "\n";
}
var_dump(rds_secret_password());
$x = rds_secret_password();
$x[0] = 'X';
var_dump($x, rds_secret_password());
unset($held);
var_dump(rds_secret_get()['password']);
?>
--EXPECT--
p1 u1 p1 array (
  0 => 'username',
  1 => 'password',
  2 => 42,
)
p2 u2 p2 array (
  0 => 'username',
  1 => 'password',
  2 => 42,
)
p3 u3 p3 array (
  0 => 'username',
  1 => 'password',
  2 => 42,
)
p4 u4 p4 array (
  0 => 'username',
  1 => 'password',
  2 => 42,
)
p5 u5 p5 array (
  0 => 'username',
  1 => 'password',
  2 => 42,
)
string(2) "p5"
string(2) "X5"
string(2) "p5"
string(2) "p5"
