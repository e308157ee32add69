--TEST--
Credentials from the container endpoint (ECS, EKS Pod Identity) with an authorization token file; a wrong token is refused
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=ecs/db
rdssecret.region=us-east-1
rdssecret.ttl=1
rdssecret.refresh_min_interval=0
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
$fake->putSecret('ecs/db', json_encode(['password' => 'from-container-creds']));
$fake->control('container', ['token' => 'container-token-123']);
$tokenFile = tempnam(sys_get_temp_dir(), 'rs-token');
file_put_contents($tokenFile, "container-token-123\n");
$env = ['AWS_ACCESS_KEY_ID' => '', 'AWS_SECRET_ACCESS_KEY' => '',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI' => "{$fake->url}/container/creds",
    'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE' => $tokenFile];
$code = 'try { echo rds_secret_password(), " ", rds_secret_info()["credential_source"], "\n"; } '
    . 'catch (RdsSecret\Exception $e) { echo $e->getCode(), " ", $e->getMessage(), "\n"; }';
$ini = ['rdssecret.secret_id' => 'ecs/db', 'rdssecret.region' => 'us-east-1'];
[$out] = rs_child_php($ini, $code, $env);
echo $out;
var_dump($fake->count('container'));
file_put_contents($tokenFile, "wrong-token\n");
[$out] = rs_child_php($ini, $code, $env);
echo $out;
/* A token with a line break could inject a header: refused before any request. */
[$out] = rs_child_php($ini, $code, ['AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE' => '',
    'AWS_CONTAINER_AUTHORIZATION_TOKEN' => "a\r\nX-Injected: 1"] + $env);
echo $out;
/* Container credentials expire (revoked by AWS), are fetched again, and the call succeeds. */
file_put_contents($tokenFile, "container-token-123\n");
$code = 'require ' . var_export(__DIR__ . '/inc/rdssecret_test.inc', true) . '; $fake = FakeAws::start();'
    . 'var_dump(rds_secret_password()); $before = $fake->count("container"); $fake->control("expire_credentials");'
    . '$fake->putSecret("ecs/db", json_encode(["password" => "after-expiry"]));'
    . 'var_dump(rds_secret_refresh(), rds_secret_password(), $fake->count("container") - $before);';
[$out, $err] = rs_child_php($ini + ['rdssecret.ttl' => 1, 'rdssecret.refresh_min_interval' => 0], $code, $env);
echo $out, $err;
unlink($tokenFile);
?>
--EXPECTF--
from-container-creds container
int(1)
13 rdssecret: secret 'ecs/db': %s401%s
2 rdssecret: secret 'ecs/db': %s
string(20) "from-container-creds"
bool(true)
string(12) "after-expiry"
int(1)
