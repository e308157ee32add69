--TEST--
rdssecret.imds_endpoint points at instance metadata; IMDSv1 is refused unless rdssecret.imds_v1_fallback=1
--EXTENSIONS--
rdssecret
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
$fake->putSecret('ec2/db', json_encode(['password' => 'via-imds']));
$env = ['AWS_ACCESS_KEY_ID' => '', 'AWS_SECRET_ACCESS_KEY' => '', 'AWS_EC2_METADATA_DISABLED' => ''];
$ini = ['rdssecret.secret_id' => 'ec2/db', 'rdssecret.imds_endpoint' => $fake->url];
$code = 'try { echo rds_secret_password(), " ", rds_secret_info()["credential_source"], " ", rds_secret_info()["region"], "\n"; } '
    . 'catch (RdsSecret\Exception $e) { echo $e->getCode(), " ", $e->getMessage(), "\n"; }';

/* IMDSv2, and the region from instance metadata too. */
[$out] = rs_child_php($ini, $code, $env);
echo $out;
/* An instance whose metadata refuses the token request (IMDSv1 only): refused by default... */
$fake->control('imds', ['allow_v1' => true]);
$fake->fault(['target' => 'imds', 'kind' => 'status', 'status' => 403, 'count' => 1]);
[$out] = rs_child_php($ini, $code, $env);
echo $out;
/* ...and used when allowed. */
$fake->fault(['target' => 'imds', 'kind' => 'status', 'status' => 403, 'count' => 1]);
[$out] = rs_child_php($ini + ['rdssecret.imds_v1_fallback' => '1'], $code, $env);
echo $out;
?>
--EXPECTF--
via-imds imds us-east-1
4 rdssecret: secret 'ec2/db': %sIMDSv2%s
via-imds imds us-east-1
