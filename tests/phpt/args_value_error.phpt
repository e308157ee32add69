--TEST--
Bad arguments throw ValueError/TypeError as PHP's own functions do; no secret id configured is a clear CONFIG error
--EXTENSIONS--
rdssecret
--INI--
rdssecret.region=us-east-1
--FILE--
<?php
$calls = [
    fn() => rds_secret_password(''),
    fn() => rds_secret_password(str_repeat('a', 2049)),
    fn() => rds_secret_password("a\nb"),
    fn() => rds_secret_get('x', ''),
    fn() => rds_secret_get('x', "AWS\0CURRENT"),
    fn() => rds_secret_refresh(''),
    fn() => rds_secret_password([]),
    fn() => rds_secret_info(1),
    fn() => rds_secret_password(),
];
foreach ($calls as $call) {
    try {
        $call();
        echo "no error\n";
    } catch (Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}
?>
--EXPECT--
ValueError: rds_secret_password(): Argument #1 ($secret_id) must be 1 to 2048 printable characters
ValueError: rds_secret_password(): Argument #1 ($secret_id) must be 1 to 2048 printable characters
ValueError: rds_secret_password(): Argument #1 ($secret_id) must be 1 to 2048 printable characters
ValueError: rds_secret_get(): Argument #2 ($version_stage) must be 1 to 256 printable characters
ValueError: rds_secret_get(): Argument #2 ($version_stage) must be 1 to 256 printable characters
ValueError: rds_secret_refresh(): Argument #1 ($secret_id) must be 1 to 2048 printable characters
TypeError: rds_secret_password(): Argument #1 ($secret_id) must be of type ?string, array given
ArgumentCountError: rds_secret_info() expects exactly 0 arguments, 1 given
RdsSecret\Exception: rdssecret: secret '': no secret id given and rdssecret.secret_id is not set
