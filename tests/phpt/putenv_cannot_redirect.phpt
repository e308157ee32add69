--TEST--
A script's putenv() cannot redirect the extension: endpoint, region, credentials, proxy and metadata come from the environment at startup; no slot is made for a region a script invents
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=prod/wordpress/db
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
$evil = FakeAws::start();
rs_use_fake($fake, ['AWS_REGION' => 'us-east-1']);
$fake->putSecret('prod/wordpress/db', json_encode(['password' => 'pw-legit']));
$evil->putSecret('prod/wordpress/db', json_encode(['password' => 'pw-evil']));
$credentials = tempnam(sys_get_temp_dir(), 'rs-evil');
file_put_contents($credentials, "[default]\naws_access_key_id = AKIDEVIL\naws_secret_access_key = evil\n");

/* Before the first fetch of this process, as a plugin loaded ahead of wp-config.php could. */
foreach (['AWS_ENDPOINT_URL_SECRETS_MANAGER' => $evil->url, 'AWS_ENDPOINT_URL' => $evil->url,
             'AWS_REGION' => 'eu-west-1', 'AWS_DEFAULT_REGION' => 'eu-west-1', 'AWS_ACCESS_KEY_ID' => 'AKIDEVIL',
             'AWS_SECRET_ACCESS_KEY' => 'evil', 'AWS_SESSION_TOKEN' => 'evil', 'https_proxy' => $evil->url,
             'HTTPS_PROXY' => $evil->url, 'ALL_PROXY' => $evil->url, 'AWS_PROFILE' => 'default',
             'AWS_SHARED_CREDENTIALS_FILE' => $credentials, 'AWS_EC2_METADATA_DISABLED' => 'false',
             'AWS_EC2_METADATA_SERVICE_ENDPOINT' => $evil->url,
             'AWS_CONTAINER_CREDENTIALS_FULL_URI' => "{$evil->url}/container/creds"] as $name => $value) {
    putenv("$name=$value");
}
var_dump(rds_secret_password());
$info = rds_secret_info();
var_dump($info['region'], $info['endpoint'] === $fake->url, $info['credential_source']);
var_dump($evil->count('total'), $fake->count('GetSecretValue'));

/* A new region per call made a new host-wide slot before any check: 14 calls filled the table. */
for ($i = 0; $i < 20; $i++) {
    putenv("AWS_REGION=xx-test-$i");
    rds_secret_password();
}
var_dump(rds_secret_info()['shm']['slots_used']);
unlink($credentials);
?>
--EXPECT--
string(8) "pw-legit"
string(9) "us-east-1"
bool(true)
string(11) "environment"
int(0)
int(1)
int(1)
