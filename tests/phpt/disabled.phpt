--TEST--
rdssecret.enabled=0: loaded and inspectable, but every read throws DISABLED
--EXTENSIONS--
rdssecret
--INI--
rdssecret.enabled=0
rdssecret.secret_id=prod/wordpress/db
--FILE--
<?php
try {
    rds_secret_password();
} catch (RdsSecret\Exception $e) {
    echo $e->getCode() === RdsSecret\Exception::DISABLED ? 'DISABLED' : 'other', ': ', $e->getMessage(), "\n";
}
var_dump(rds_secret_info()['enabled']);
?>
--EXPECT--
DISABLED: rdssecret: secret 'prod/wordpress/db': rdssecret is disabled (rdssecret.enabled=0 in php.ini at startup)
bool(false)
