--TEST--
Silent degradation is logged: a stale value served while refreshing fails, a failed fetch, a database login refused with version X, a refused forced refresh; each at most once a minute per secret, host-wide; never a value
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=prod/wordpress/db
rdssecret.region=us-east-1
rdssecret.ttl=1
rdssecret.refresh_min_interval=30
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
$v1 = $fake->putSecret('prod/wordpress/db', json_encode(['username' => 'wp', 'password' => 'pw-' . RS_TEST_MARKER]))['VersionId'];
rds_secret_password();

/* The database refuses version 1 (db.php reports it): one line naming the version, and a refresh. */
var_dump(rds_secret_login_failed(), rds_secret_login_failed());
$fake->fault(['target' => 'GetSecretValue', 'kind' => 'status', 'status' => 503, 'count' => -1]);
usleep(1200000);
/* Expired, refreshing fails: served stale, said once however often it happens. */
for ($i = 0; $i < 5; $i++) {
    rds_secret_refresh();   /* refused (refresh_min_interval): said once */
    rds_secret_password();
}
/* Cold and failing: no value at all. */
for ($i = 0; $i < 3; $i++) {
    try {
        rds_secret_get(null, 'AWSPENDING');
    } catch (RdsSecret\Exception $e) {
    }
}
$log = rs_log();
foreach ($log as $line) {
    echo str_replace($v1, 'V1', preg_replace('~fetched \d+s ago and \d+s past~', 'fetched Ns ago and Ns past', $line)), "\n";
}
var_dump(count(array_filter($log, fn($l) => str_contains($l, RS_TEST_MARKER))));
var_dump(rds_secret_info()['secrets'][0]['login_failures']);
?>
--EXPECTF--
bool(true)
bool(true)
rdssecret: secret 'prod/wordpress/db' (AWSCURRENT): the database refused the credentials of version V1; replacing them
rdssecret: secret 'prod/wordpress/db' (AWSCURRENT): serving version V1, fetched Ns ago and Ns past its TTL, because refreshing fails (1 failures; served until rdssecret.max_stale): Secrets Manager GetSecretValue failed: ServiceUnavailable: Fault injected by fake_aws (HTTP 503) after 3 attempts
rdssecret: secret 'prod/wordpress/db' (AWSCURRENT): a forced refresh was refused: another one ran less than rdssecret.refresh_min_interval (30s) ago and the copy it would replace is the one that refresh found
rdssecret: secret 'prod/wordpress/db' (AWSPENDING): no value can be served: Secrets Manager GetSecretValue failed: ServiceUnavailable: Fault injected by fake_aws (HTTP 503) after 3 attempts
int(0)
int(2)
