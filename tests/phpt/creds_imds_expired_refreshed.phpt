--TEST--
Credentials from EC2 instance metadata (IMDSv2), expired by AWS, fetched again and the call retried
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=prod/wordpress/db
rdssecret.region=us-east-1
rdssecret.ttl=1
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake, ['AWS_ACCESS_KEY_ID' => '', 'AWS_SECRET_ACCESS_KEY' => '', 'AWS_EC2_METADATA_DISABLED' => '',
    'AWS_EC2_METADATA_SERVICE_ENDPOINT' => $fake->url]);
$fake->putSecret('prod/wordpress/db', json_encode(['password' => 'pw1']));
var_dump(rds_secret_password());
var_dump(rds_secret_info()['credential_source']);
var_dump($fake->count('imds_token'), $fake->count('imds_credentials'));

/* The role's credentials are revoked: AWS answers ExpiredTokenException; the client fetches new ones. */
$fake->control('expire_credentials');
$fake->putSecret('prod/wordpress/db', json_encode(['password' => 'pw2']));
usleep(1200000);
var_dump(rds_secret_refresh());
var_dump(rds_secret_password());
var_dump($fake->count('imds_credentials'));
var_dump($fake->count('GetSecretValue'));
?>
--EXPECT--
string(3) "pw1"
string(4) "imds"
int(1)
int(1)
bool(true)
string(3) "pw2"
int(2)
int(3)
