--TEST--
rdssecret's phpinfo() section shows its version, its libraries and its INI settings
--EXTENSIONS--
rdssecret
--ENV--
AWS_REGION=
AWS_DEFAULT_REGION=
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

/* The rows name the libraries this process has loaded, not the headers anything was built against (Debian
 * updates libssl3 and php8.2 at different times, so PHP's OPENSSL_VERSION_TEXT may differ). The command-line
 * tools of the same packages (installed by scripts/install-deps) report the same run-time libraries. */
$curl = (string)shell_exec('curl --version 2>/dev/null');
var_dump(preg_match('~\blibcurl/(\S+)~', $curl, $m) === 1 && str_contains($table, "libcurl => {$m[1]}\n"));
$openssl = trim((string)shell_exec('openssl version 2>/dev/null'));
$loaded = preg_match('~\(Library: (.+)\)$~', $openssl, $m) ? $m[1] : $openssl;
var_dump($loaded !== '' && str_contains($table, "OpenSSL => $loaded\n"));
?>
--EXPECTF--
rdssecret
--
rdssecret support => enabled
Version => 0.1.0
libcurl => %d.%d.%d%S
OpenSSL => OpenSSL %d.%d.%s
cJSON => %d.%d.%d
Core dumps => secret copies excluded, libcurl's buffers wiped
Region => (from instance metadata at the first fetch)
Endpoint => (follows the region)
Credentials => (resolved at the first fetch)
Shared cache => %d bytes, 0 of 16 slots used, %s
--
Directive => Local Value => Master Value
rdssecret.allowed_secret_ids => no value => no value
rdssecret.allowed_version_stages => AWSCURRENT,AWSPENDING,AWSPREVIOUS => AWSCURRENT,AWSPENDING,AWSPREVIOUS
rdssecret.ca_file => no value => no value
rdssecret.connect_timeout_ms => 1000 => 1000
rdssecret.enabled => On => On
rdssecret.endpoint => no value => no value
rdssecret.fetch_timeout_ms => 4000 => 4000
rdssecret.iam_allowed => no value => no value
rdssecret.iam_token_lifetime => 900 => 900
rdssecret.imds_endpoint => no value => no value
rdssecret.imds_v1_fallback => Off => Off
rdssecret.max_stale => 86400 => 86400
rdssecret.refresh_min_interval => 5 => 5
rdssecret.region => no value => no value
rdssecret.secret_id => no value => no value
rdssecret.shm_slots => 16 => 16
rdssecret.timeout_ms => 3000 => 3000
rdssecret.ttl => 300 => 300
rdssecret.version_stage => AWSCURRENT => AWSCURRENT
bool(true)
bool(true)
