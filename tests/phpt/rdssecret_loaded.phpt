--TEST--
rdssecret loads, reports its version and declares RdsSecret\Exception
--EXTENSIONS--
rdssecret
--FILE--
<?php
var_dump(extension_loaded('rdssecret'));
var_dump(phpversion('rdssecret'));
var_dump((new ReflectionExtension('rdssecret'))->getVersion() === phpversion('rdssecret'));

$class = new ReflectionClass(RdsSecret\Exception::class);
var_dump($class->getName(), $class->isInternal(), $class->isFinal());
var_dump($class->getParentClass()->getName());
var_dump($class->getExtensionName());

$e = new RdsSecret\Exception('failed', 12);
var_dump($e instanceof RuntimeException, $e->getMessage(), $e->getCode());

/* Declared by the extension, read-only at run time. */
var_dump(ini_get('rdssecret.enabled'));
var_dump(ini_set('rdssecret.enabled', '0'));
var_dump(ini_get('rdssecret.enabled'));
?>
--EXPECT--
bool(true)
string(5) "0.1.0"
bool(true)
string(19) "RdsSecret\Exception"
bool(true)
bool(false)
string(16) "RuntimeException"
string(9) "rdssecret"
bool(true)
string(6) "failed"
int(12)
string(1) "1"
bool(false)
string(1) "1"
