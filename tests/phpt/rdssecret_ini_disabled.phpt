--TEST--
rdssecret.enabled=0 leaves the extension loaded but inert
--EXTENSIONS--
rdssecret
--INI--
rdssecret.enabled=0
--FILE--
<?php
var_dump(extension_loaded('rdssecret'));
var_dump(ini_get('rdssecret.enabled'));
var_dump(class_exists(RdsSecret\Exception::class));
?>
--EXPECT--
bool(true)
string(1) "0"
bool(true)
