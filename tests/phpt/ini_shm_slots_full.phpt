--TEST--
rdssecret.shm_slots bounds the shared cache: a full table degrades to this process's own cache (one log line), never an error or an eviction
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
/* No shared slot is left: c/db is fetched and cached by this process (the log says so, once). */
var_dump(rds_secret_password('c/db'), rds_secret_password('c/db'));
var_dump($fake->count('GetSecretValue'));
/* The secrets in use are still there. */
var_dump(rds_secret_password('a/db'), rds_secret_password('b/db'));
$info = rds_secret_info();
var_dump($info['shm']['slots'], $info['shm']['slots_used']);
foreach ($info['secrets'] as $s) {
    echo $s['secret_id'], ' ', $s['version_stage'], ' ', $s['shared'] ? 'shared' : 'this process only', "\n";
}
var_dump(ini_get('rdssecret.shm_slots'));
?>
--EXPECT--
string(7) "pw-a/db"
string(7) "pw-b/db"
rdssecret: secret 'c/db' (AWSCURRENT): the shared cache has no free slot (2 in all); this process caches it by itself (raise rdssecret.shm_slots)
string(7) "pw-c/db"
string(7) "pw-c/db"
int(3)
string(7) "pw-a/db"
string(7) "pw-b/db"
int(2)
int(2)
a/db AWSCURRENT shared
b/db AWSCURRENT shared
c/db AWSCURRENT this process only
string(1) "2"
