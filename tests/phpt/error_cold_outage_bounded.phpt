--TEST--
A cold host whose Secrets Manager never answers: with the default timeouts the first request fails within the fetch budget (rdssecret.fetch_timeout_ms, 4 s: two attempts, not three of 3 s each), and the host-wide backoff answers the next requests at once, with no new request
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
$fake->putSecret('prod/wordpress/db', json_encode(['password' => 'pw']));
/* Accepts the connection, never answers (as a blackholed VPC endpoint behind a proxy would). */
$fake->fault(['target' => 'GetSecretValue', 'kind' => 'delay', 'delay_ms' => 60000, 'count' => -1]);
try {
    rds_secret_password();
} catch (RdsSecret\Exception $e) {
    echo rs_describe($e), "\n";
}
var_dump($fake->count('GetSecretValue'));
/* Backing off host-wide: the same error, no request, no wait for a timeout. */
for ($i = 0; $i < 5; $i++) {
    try {
        rds_secret_password();
    } catch (RdsSecret\Exception $e) {
        $codes[] = $e->getCode();
    }
}
var_dump($codes === array_fill(0, 5, RdsSecret\Exception::TIMEOUT), $fake->count('GetSecretValue'));
$s = rds_secret_info()['secrets'][0];
var_dump($s['next_attempt_in'] > 0, $s['errors'], $s['last_error']);
?>
--EXPECTF--
RdsSecret\Exception 6: rdssecret: secret 'prod/wordpress/db': POST http://127.0.0.1:%d/ failed: %s after 2 attempts (the 4000 ms budget for one fetch is spent)
int(2)
bool(true)
int(2)
bool(true)
int(1)
string(7) "timeout"
