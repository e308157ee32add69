--TEST--
Only the configured secret ids can be read; a script cannot widen the list or switch the endpoint
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=pool-a/db
rdssecret.allowed_secret_ids=pool-a/replica, pool-a/readonly
rdssecret.region=us-east-1
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
foreach (['pool-a/db', 'pool-a/replica', 'pool-a/readonly', 'pool-b/db'] as $id) {
    $fake->putSecret($id, json_encode(['password' => "pw-of-$id"]));
}
var_dump(rds_secret_password(), rds_secret_password('pool-a/replica'), rds_secret_password('pool-a/readonly'));
foreach (['rds_secret_password', 'rds_secret_get', 'rds_secret_refresh'] as $fn) {
    try {
        $fn('pool-b/db');
    } catch (RdsSecret\Exception $e) {
        echo rs_describe($e), "\n";
    }
}
/* Prefixes and look-alikes do not match. */
foreach (['pool-a', 'pool-a/db2', 'pool-a/replica ', 'POOL-A/DB'] as $id) {
    try {
        rds_secret_password($id);
    } catch (RdsSecret\Exception $e) {
        echo $e->getCode(), "\n";
    }
}
/* Every setting is PHP_INI_SYSTEM. */
foreach (['secret_id', 'allowed_secret_ids', 'endpoint', 'region', 'ca_file', 'imds_endpoint', 'imds_v1_fallback',
             'version_stage', 'ttl', 'max_stale', 'refresh_min_interval', 'timeout_ms', 'connect_timeout_ms',
             'shm_slots', 'enabled'] as $name) {
    if (ini_set("rdssecret.$name", '1') !== false) {
        echo "rdssecret.$name can be changed by a script\n";
    }
}
var_dump(ini_get('rdssecret.allowed_secret_ids'));
var_dump($fake->count('GetSecretValue'));
?>
--EXPECT--
string(15) "pw-of-pool-a/db"
string(20) "pw-of-pool-a/replica"
string(21) "pw-of-pool-a/readonly"
RdsSecret\Exception 22: rdssecret: secret 'pool-b/db': this secret id is not allowed here (see rdssecret.secret_id and rdssecret.allowed_secret_ids)
RdsSecret\Exception 22: rdssecret: secret 'pool-b/db': this secret id is not allowed here (see rdssecret.secret_id and rdssecret.allowed_secret_ids)
RdsSecret\Exception 22: rdssecret: secret 'pool-b/db': this secret id is not allowed here (see rdssecret.secret_id and rdssecret.allowed_secret_ids)
22
22
22
22
string(31) "pool-a/replica, pool-a/readonly"
int(3)
