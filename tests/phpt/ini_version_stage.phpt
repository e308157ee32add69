--TEST--
rdssecret.version_stage chooses the stage read by default; a call may name another stage of the same secret
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=prod/wordpress/db
rdssecret.version_stage=AWSPREVIOUS
rdssecret.region=us-east-1
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
$fake->putSecret('prod/wordpress/db', json_encode(['password' => 'older']));
$fake->putSecret('prod/wordpress/db', json_encode(['password' => 'newer']));
var_dump(rds_secret_password());
var_dump(rds_secret_get(null, 'AWSCURRENT')['password']);
var_dump(rds_secret_get('prod/wordpress/db', 'AWSPREVIOUS')['password']);
$stages = array_column(rds_secret_info()['secrets'], 'version_stage');
sort($stages);
var_dump($stages);
try {
    rds_secret_get(null, 'AWSPENDING');
} catch (RdsSecret\Exception $e) {
    echo rs_describe($e), "\n";
}
?>
--EXPECTF--
string(5) "older"
string(5) "newer"
string(5) "older"
array(2) {
  [0]=>
  string(10) "AWSCURRENT"
  [1]=>
  string(11) "AWSPREVIOUS"
}
RdsSecret\Exception 14: rdssecret: secret 'prod/wordpress/db': Secrets Manager GetSecretValue failed: ResourceNotFoundException%s
