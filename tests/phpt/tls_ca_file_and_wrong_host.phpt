--TEST--
HTTPS to Secrets Manager: trusted through rdssecret.ca_file; a certificate for another host is refused, never retried in plain text
--EXTENSIONS--
rdssecret
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$tls = rs_make_tls_dir();
$good = FakeAws::start(['--tls-cert', "$tls/server.pem", '--tls-key', "$tls/server.key"]);
$wrong = FakeAws::start(['--tls-cert', "$tls/wrong.pem", '--tls-key', "$tls/wrong.key"]);
rs_use_fake($good, ['AWS_ENDPOINT_URL_SECRETS_MANAGER' => '']);
$good->putSecret('tls/db', json_encode(['password' => 'over-tls']));
$wrong->putSecret('tls/db', json_encode(['password' => 'over-tls']));
$code = 'try { echo rds_secret_password(), "\n"; } catch (RdsSecret\Exception $e) { echo $e->getCode(), " ", $e->getMessage(), "\n"; }';
$ini = ['rdssecret.secret_id' => 'tls/db', 'rdssecret.region' => 'us-east-1', 'rdssecret.ca_file' => "$tls/ca.pem"];

[$out] = rs_child_php($ini + ['rdssecret.endpoint' => $good->tlsUrl], $code);
echo $out;
/* Without the CA, the system trust store does not know the fake. */
[$out] = rs_child_php(['rdssecret.ca_file' => ''] + $ini + ['rdssecret.endpoint' => $good->tlsUrl], $code);
echo $out;
[$out] = rs_child_php($ini + ['rdssecret.endpoint' => $wrong->tlsUrl], $code);
echo $out;
var_dump($wrong->count('total'));
/* http:// to anything but loopback is refused before any connection. */
[$out] = rs_child_php($ini + ['rdssecret.endpoint' => 'http://secretsmanager.example'], $code);
echo $out;
rs_rmdir($tls);
?>
--EXPECTF--
over-tls
7 rdssecret: secret 'tls/db': POST https://127.0.0.1:%d/ failed: SSL certificate problem: %s
7 rdssecret: secret 'tls/db': POST https://127.0.0.1:%d/ failed: %sno alternative certificate subject name matches%s
int(0)
2 rdssecret: secret 'tls/db': the endpoint setting: plain http:// is accepted only for loopback hosts; use https://
