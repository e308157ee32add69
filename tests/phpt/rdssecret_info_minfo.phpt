--TEST--
rdssecret's phpinfo() section shows its version, its libraries and its INI settings
--EXTENSIONS--
rdssecret
--FILE--
<?php
ob_start();
phpinfo(INFO_MODULES);
$all = ob_get_clean();

$start = strpos($all, "\nrdssecret\n\n");
if ($start === false) {
    die("no rdssecret section in phpinfo()\n");
}
/* Heading, module table, INI table: each is followed by an empty line. */
[$heading, $table, $ini] = explode("\n\n", substr($all, $start + 1), 4);
echo $heading, "\n--\n", $table, "\n--\n", $ini, "\n";

/* The rows repeat what the libraries say about themselves. */
if (extension_loaded('curl')) {
    var_dump(str_contains($table, 'libcurl => ' . curl_version()['version'] . "\n"));
} else {
    var_dump(true);
}
if (extension_loaded('openssl')) {
    var_dump(str_contains($table, 'OpenSSL => ' . OPENSSL_VERSION_TEXT . "\n"));
} else {
    var_dump(true);
}
?>
--EXPECTF--
rdssecret
--
rdssecret support => enabled
Version => 0.1.0
libcurl => %d.%d.%d%S
OpenSSL => OpenSSL %d.%d.%s
cJSON => %d.%d.%d
--
Directive => Local Value => Master Value
rdssecret.enabled => On => On
bool(true)
bool(true)
