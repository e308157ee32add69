--TEST--
rds_iam_token(): a signed rds-db connect token for an allowed account, from the host-wide cache (one minting until renewal, renewed before it runs short); other accounts NOT_ALLOWED; bad arguments ValueError; never a token in info
--EXTENSIONS--
rdssecret
--INI--
rdssecret.iam_allowed=wp@db.internal:3306, ro@db.internal:3307
rdssecret.iam_token_lifetime=6
rdssecret.region=eu-west-1
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
$token = rds_iam_token('db.internal', 3306, 'wp');
var_dump(preg_match('~^db\.internal:3306/\?Action=connect&DBUser=wp&X-Amz-Algorithm=AWS4-HMAC-SHA256'
    . '&X-Amz-Credential=AKIDFAKEEXAMPLE%2F(\d{8})%2Feu-west-1%2Frds-db%2Faws4_request&X-Amz-Date=\1T\d{6}Z'
    . '&X-Amz-Expires=6&X-Amz-SignedHeaders=host&X-Amz-Signature=[0-9a-f]{64}$~', $token));
var_dump(rds_iam_token('db.internal', 3306, 'wp') === $token, rds_iam_token('db.internal', 3307, 'ro') !== $token);
var_dump(str_contains(rds_iam_token('db.internal', 3307, 'ro', 'us-west-2'), '%2Fus-west-2%2Frds-db'));
$info = rds_secret_info()['iam_tokens'];
usort($info, fn($a, $b) => [$a['account'], $a['region']] <=> [$b['account'], $b['region']]);
foreach ($info as $t) {
    printf("%s %s mintings=%d renewed_in<=4:%s expires_in<=5:%s\n", $t['account'], $t['region'], $t['mintings'],
        var_export($t['renewed_in'] > 0 && $t['renewed_in'] <= 4, true),
        var_export($t['expires_in'] > 0 && $t['expires_in'] <= 5, true));
}
var_dump(str_contains(json_encode(rds_secret_info()), 'X-Amz-Signature'));
/* Renewed two thirds into its lifetime (a CLI script is one request: a forced read of the slot shows it). */
usleep(4300000);
$next = rds_iam_token('db.internal', 3306, 'wp');
var_dump($next !== $token);
/* The database refused it: a new one is signed (once: rate-limited across the host). */
var_dump(rds_iam_token_refresh('db.internal', 3306, 'wp'), str_starts_with(rds_iam_token('db.internal', 3306, 'wp'), 'db.internal:3306/?'));
$wp = array_values(array_filter(rds_secret_info()['iam_tokens'], fn($t) => $t['account'] === 'wp@db.internal:3306'));
var_dump($wp[0]['mintings']);
foreach ([['db.internal', 3306, 'root'], ['other.internal', 3306, 'wp'], ['db.internal', 3307, 'wp']] as [$h, $p, $u]) {
    try {
        rds_iam_token($h, $p, $u);
    } catch (RdsSecret\Exception $e) {
        echo rs_describe($e), "\n";
    }
}
foreach ([['', 3306, 'wp'], ['db internal', 3306, 'wp'], ['db.internal', 0, 'wp'], ['db.internal', 3306, ''],
             ['db.internal', 3306, str_repeat('u', 33)], ['db.internal', 3306, 'wp', 'Not A Region']] as $args) {
    try {
        rds_iam_token(...$args);
    } catch (ValueError $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}
?>
--EXPECT--
int(1)
bool(true)
bool(true)
bool(true)
ro@db.internal:3307 eu-west-1 mintings=1 renewed_in<=4:true expires_in<=5:true
ro@db.internal:3307 us-west-2 mintings=1 renewed_in<=4:true expires_in<=5:true
wp@db.internal:3306 eu-west-1 mintings=1 renewed_in<=4:true expires_in<=5:true
bool(false)
bool(true)
bool(true)
bool(true)
int(3)
RdsSecret\Exception 22: rdssecret: IAM token for 'root@db.internal:3306': this database account is not allowed here (see rdssecret.iam_allowed)
RdsSecret\Exception 22: rdssecret: IAM token for 'wp@other.internal:3306': this database account is not allowed here (see rdssecret.iam_allowed)
RdsSecret\Exception 22: rdssecret: IAM token for 'wp@db.internal:3307': this database account is not allowed here (see rdssecret.iam_allowed)
ValueError: rds_iam_token(): Argument #1 ($host) must be a host name or address
ValueError: rds_iam_token(): Argument #1 ($host) must be a host name or address
ValueError: rds_iam_token(): Argument #2 ($port) must be between 1 and 65535
ValueError: rds_iam_token(): Argument #3 ($user) must be 1 to 32 printable characters
ValueError: rds_iam_token(): Argument #3 ($user) must be 1 to 32 printable characters
ValueError: rds_iam_token(): Argument #4 ($region) must be an AWS region name
