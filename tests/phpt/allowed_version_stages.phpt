--TEST--
Only configured version stages can be read: arbitrary stages cannot fill the host-wide cache
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=prod/wordpress/db
rdssecret.region=us-east-1
rdssecret.shm_slots=3
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
$fake->putSecret('prod/wordpress/db', json_encode(['password' => 'v1']));
$fake->putSecret('prod/wordpress/db', json_encode(['password' => 'v2']));
for ($i = 0; $i < 20; $i++) {
    try {
        rds_secret_get(null, "junk$i");
    } catch (RdsSecret\Exception $e) {
        $last = $e;
    }
}
echo rs_describe($last), "\n";
var_dump(rds_secret_info()['shm']['slots_used']);
var_dump(rds_secret_password(), rds_secret_get(null, 'AWSPREVIOUS')['password']);
var_dump(rds_secret_info()['shm']['slots_used'], $fake->count('GetSecretValue'));
var_dump(ini_get('rdssecret.allowed_version_stages'));
/* A stage can be refreshed on its own (db.php does it for AWSPENDING during a rotation). */
$fake->putSecret('prod/wordpress/db', json_encode(['password' => 'v3']));
var_dump(rds_secret_refresh(null, 'AWSPREVIOUS'), rds_secret_get(null, 'AWSPREVIOUS')['password'], rds_secret_password());
try {
    rds_secret_refresh(null, 'junk');
} catch (RdsSecret\Exception $e) {
    echo $e->getCode(), "\n";
}
?>
--EXPECT--
RdsSecret\Exception 22: rdssecret: secret 'prod/wordpress/db': this version stage is not allowed here (see rdssecret.allowed_version_stages)
int(0)
string(2) "v2"
string(2) "v1"
int(2)
int(2)
string(33) "AWSCURRENT,AWSPENDING,AWSPREVIOUS"
bool(true)
string(2) "v2"
string(2) "v2"
22
