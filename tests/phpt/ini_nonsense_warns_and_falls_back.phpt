--TEST--
Every setting given nonsense (negative, huge, empty, wrong type, unknown stages, odd regions) gives one startup warning naming it and the value used instead; nothing crashes
--EXTENSIONS--
rdssecret
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$cases = [
    ['rdssecret.ttl', '-5'], ['rdssecret.ttl', '0'], ['rdssecret.ttl', '10s'], ['rdssecret.ttl', '99999999999999999999'],
    ['rdssecret.ttl', ''], ['rdssecret.max_stale', '-1'], ['rdssecret.max_stale', '1e9'],
    ['rdssecret.refresh_min_interval', 'soon'], ['rdssecret.connect_timeout_ms', '0'],
    ['rdssecret.timeout_ms', '600001'], ['rdssecret.shm_slots', '0'], ['rdssecret.shm_slots', '100000'],
    ['rdssecret.enabled', 'banana'], ['rdssecret.imds_v1_fallback', '2'],
    ['rdssecret.region', 'eu west 1'], ['rdssecret.region', 'US-EAST-1'], ['rdssecret.region', str_repeat('a', 70)],
    ['rdssecret.endpoint', 'ftp://example.com'], ['rdssecret.endpoint', 'http://evil.example'],
    ['rdssecret.endpoint', 'https://vpce.example/#frag'], ['rdssecret.endpoint', 'not a url'],
    ['rdssecret.version_stage', 'AWSCURENT'], ['rdssecret.version_stage', "bad\x01label"],
    ['rdssecret.allowed_version_stages', 'AWSCURRENT,AWSPENDNG'],
    ['rdssecret.secret_id', "prod/db\x7f"], ['rdssecret.allowed_secret_ids', 'ok/db ' . str_repeat('x', 3000)],
    ['rdssecret.imds_endpoint', 'http://evil.example'], ['rdssecret.imds_endpoint', 'http://169.254.169.254/latest'],
    ['rdssecret.ca_file', '/nonexistent/ca.pem'],
    ['rdssecret.iam_allowed', 'wp@db.internal'], ['rdssecret.iam_allowed', 'nobody:3306'],
    ['rdssecret.iam_token_lifetime', '901'], ['rdssecret.iam_token_lifetime', '1'],
];
$code = 'echo "value: ", var_export(ini_get($argv[1]), true), "\n"; '
    . 'try { rds_secret_password("x"); } catch (Throwable $e) { echo "call: ", get_class($e), " ", $e->getCode(), "\n"; }';
foreach ($cases as [$name, $value]) {
    [$out, $err, $rc] = rs_child_php([$name => $value], "\$argv = [0, '$name']; $code");
    $warning = trim(preg_replace('~^(PHP )?Warning:\s+~m', '', $err));
    echo str_replace(' in Unknown on line 0', '', $warning), "\n  ", str_replace("\n", "\n  ", trim($out)),
        " (exit $rc)\n";
}
/* Where to fetch from is never replaced by a guess: the bad value is kept and every fetch fails, before any
 * request, with an error naming the setting. */
$env = ['AWS_EC2_METADATA_DISABLED' => 'true', 'AWS_ACCESS_KEY_ID' => RS_TEST_KEY_ID,
    'AWS_SECRET_ACCESS_KEY' => RS_TEST_SECRET_KEY, 'AWS_REGION' => 'us-east-1'];
foreach ([['rdssecret.region', 'eu west 1'], ['rdssecret.endpoint', 'http://evil.example']] as [$name, $value]) {
    [$out] = rs_child_php([$name => $value, 'rdssecret.secret_id' => 'app/db', 'display_startup_errors' => '0'],
        'try { rds_secret_password(); } catch (RdsSecret\Exception $e) { echo $e->getCode(), " ", $e->getMessage(), "\n"; }',
        $env);
    echo $out;
}
?>
--EXPECT--
rdssecret.ttl = '-5': not a whole number from 1 to 315360000 seconds; using '300'
  value: '300'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.ttl = '0': not a whole number from 1 to 315360000 seconds; using '300'
  value: '300'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.ttl = '10s': not a whole number from 1 to 315360000 seconds; using '300'
  value: '300'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.ttl = '99999999999999999999': not a whole number from 1 to 315360000 seconds; using '300'
  value: '300'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.ttl = '': not a whole number from 1 to 315360000 seconds; using '300'
  value: '300'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.max_stale = '-1': not a whole number from 0 to 315360000 seconds; using '86400'
  value: '86400'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.max_stale = '1e9': not a whole number from 0 to 315360000 seconds; using '86400'
  value: '86400'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.refresh_min_interval = 'soon': not a whole number from 0 to 315360000 seconds; using '5'
  value: '5'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.connect_timeout_ms = '0': not a whole number from 1 to 600000 milliseconds; using '1000'
  value: '1000'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.timeout_ms = '600001': not a whole number from 1 to 600000 milliseconds; using '3000'
  value: '3000'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.shm_slots = '0': not a whole number from 1 to 4096 slots; using '16'
  value: '16'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.shm_slots = '100000': not a whole number from 1 to 4096 slots; using '16'
  value: '16'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.enabled = 'banana': not a boolean (On/Off, 1/0, yes/no, true/false); using '1'
  value: '1'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.imds_v1_fallback = '2': not a boolean (On/Off, 1/0, yes/no, true/false); using '0'
  value: '0'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.region = 'eu west 1': not an AWS region name (lower-case letters, digits and '-'); kept, so every fetch fails with a configuration error until it is fixed
  value: 'eu west 1'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.region = 'US-EAST-1': not an AWS region name (lower-case letters, digits and '-'); kept, so every fetch fails with a configuration error until it is fixed
  value: 'US-EAST-1'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.region = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa': not an AWS region name (lower-case letters, digits and '-'); kept, so every fetch fails with a configuration error until it is fixed
  value: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.endpoint = 'ftp://example.com': URL 'ftp://example.com' must use http:// or https://; kept, so every fetch fails with a configuration error until it is fixed
  value: 'ftp://example.com'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.endpoint = 'http://evil.example': plain http:// is accepted only for loopback hosts; use https://; kept, so every fetch fails with a configuration error until it is fixed
  value: 'http://evil.example'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.endpoint = 'https://vpce.example/#frag': an endpoint URL must not have a query or fragment; kept, so every fetch fails with a configuration error until it is fixed
  value: 'https://vpce.example/#frag'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.endpoint = 'not a url': URL 'not a url' has no scheme (http:// or https://); kept, so every fetch fails with a configuration error until it is fixed
  value: 'not a url'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.version_stage = 'AWSCURENT': not a staging label (AWSCURRENT, AWSPENDING, AWSPREVIOUS or a label of your own, at most 256 printable characters); using 'AWSCURRENT'
  value: 'AWSCURRENT'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.version_stage = 'bad?label': not a staging label (AWSCURRENT, AWSPENDING, AWSPREVIOUS or a label of your own, at most 256 printable characters); using 'AWSCURRENT'
  value: 'AWSCURRENT'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.allowed_version_stages = 'AWSCURRENT,AWSPENDNG': each entry must be a staging label (AWSCURRENT, AWSPENDING, AWSPREVIOUS or a label of your own); using 'AWSCURRENT,AWSPENDING,AWSPREVIOUS'
  value: 'AWSCURRENT,AWSPENDING,AWSPREVIOUS'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.secret_id = 'prod/db?': a secret id is at most 2048 printable characters; using none (unset)
  value: ''
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.allowed_secret_ids = 'ok/db xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'...: each id is at most 2048 printable characters; using none (unset)
  value: ''
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.imds_endpoint = 'http://evil.example': not scheme://host[:port] (http:// only to the metadata address or loopback); kept, so every fetch fails with a configuration error until it is fixed
  value: 'http://evil.example'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.imds_endpoint = 'http://169.254.169.254/latest': not scheme://host[:port] (http:// only to the metadata address or loopback); kept, so every fetch fails with a configuration error until it is fixed
  value: 'http://169.254.169.254/latest'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.ca_file = '/nonexistent/ca.pem': cannot be read (No such file or directory); TLS to Secrets Manager fails until it can
  value: '/nonexistent/ca.pem'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.iam_allowed = 'wp@db.internal': each entry must be user@host:port (a user of at most 32 characters, a port from 1 to 65535); using none (unset)
  value: ''
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.iam_allowed = 'nobody:3306': each entry must be user@host:port (a user of at most 32 characters, a port from 1 to 65535); using none (unset)
  value: ''
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.iam_token_lifetime = '901': not a whole number from 3 to 900 seconds; using '900'
  value: '900'
  call: RdsSecret\Exception 22 (exit 0)
rdssecret.iam_token_lifetime = '1': not a whole number from 3 to 900 seconds; using '900'
  value: '900'
  call: RdsSecret\Exception 22 (exit 0)
2 rdssecret: secret 'app/db': the region 'eu west 1' from the region setting is not a valid AWS region name
2 rdssecret: secret 'app/db': the endpoint setting: plain http:// is accepted only for loopback hosts; use https://
