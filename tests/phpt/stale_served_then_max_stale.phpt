--TEST--
While Secrets Manager fails, the last good value is served up to rdssecret.max_stale, then STALE_LIMIT; recovery when AWS returns
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=prod/wordpress/db
rdssecret.region=us-east-1
rdssecret.ttl=1
rdssecret.max_stale=2
rdssecret.refresh_min_interval=0
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
$fake->putSecret('prod/wordpress/db', json_encode(['password' => 'last-good']));
var_dump(rds_secret_password());
$fake->fault(['target' => 'GetSecretValue', 'kind' => 'status', 'status' => 500, 'count' => -1]);

/* A CLI script is one request and keeps the version it read; a forced refresh releases it, so the
 * cache's behaviour across time can be watched from one process. */
usleep(1200000);                    /* expired; max_stale not reached */
try {
    rds_secret_refresh();
} catch (RdsSecret\Exception $e) {
    echo rs_describe($e), "\n";     /* the forced refresh reports the failure... */
}
var_dump(rds_secret_password());    /* ...but reads still get the last good value */
$info = rds_secret_info()['secrets'][0];
var_dump($info['errors'] >= 1, $info['last_error'], $info['expires_in'] < 0);

usleep(2200000);                    /* now past ttl + max_stale */
try {
    rds_secret_refresh();
} catch (RdsSecret\Exception $e) {
}
try {
    rds_secret_password();
    echo "served past max_stale\n";
} catch (RdsSecret\Exception $e) {
    echo rs_describe($e), "\n";
    var_dump($e->getCode() === RdsSecret\Exception::STALE_LIMIT);
}
/* Secrets Manager answers again. */
$fake->control('clear_faults');
$fake->putSecret('prod/wordpress/db', json_encode(['password' => 'fresh']));
usleep(1100000);                    /* past the backoff (at most a TTL) */
var_dump(rds_secret_refresh(), rds_secret_password());
var_dump(rds_secret_info()['secrets'][0]['consecutive_failures']);
?>
--EXPECTF--
string(9) "last-good"
RdsSecret\Exception 11: rdssecret: secret 'prod/wordpress/db': Secrets Manager GetSecretValue failed: InternalServiceError%s(HTTP 500) after 3 attempts
string(9) "last-good"
bool(true)
string(7) "service"
bool(true)
RdsSecret\Exception 21: rdssecret: secret 'prod/wordpress/db': the cached value expired %ds ago, more than max_stale (2s), and refreshing fails: Secrets Manager GetSecretValue failed: InternalServiceError%s
bool(true)
bool(true)
string(5) "fresh"
int(0)
