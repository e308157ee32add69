--TEST--
rdssecret.shm_slots bounds the shared cache: a full table is a clear CACHE_FULL exception, never an eviction
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=a/db
rdssecret.allowed_secret_ids=b/db c/db
rdssecret.region=us-east-1
rdssecret.shm_slots=2
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
foreach (['a/db', 'b/db', 'c/db'] as $id) {
    $fake->putSecret($id, json_encode(['password' => "pw-$id"]));
}
var_dump(rds_secret_password('a/db'), rds_secret_password('b/db'));
try {
    rds_secret_password('c/db');
} catch (RdsSecret\Exception $e) {
    echo rs_describe($e), "\n";
}
/* The secrets in use are still there. */
var_dump(rds_secret_password('a/db'), rds_secret_password('b/db'));
$shm = rds_secret_info()['shm'];
var_dump($shm['slots'], $shm['slots_used'], $shm['size'] >= 2 * 65536);
var_dump(ini_get('rdssecret.shm_slots'));
?>
--EXPECT--
string(7) "pw-a/db"
string(7) "pw-b/db"
RdsSecret\Exception 20: rdssecret: secret 'c/db': the shared secret cache is full (2 slots, each holding another secret); raise rdssecret.shm_slots
string(7) "pw-a/db"
string(7) "pw-b/db"
int(2)
int(2)
bool(true)
string(1) "2"
