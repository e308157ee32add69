--TEST--
rds_secret_metrics(): this pool's secrets in OpenMetrics text (counters, value age, expiry, per secret and stage), never a value
--EXTENSIONS--
rdssecret
--INI--
rdssecret.secret_id=prod/wordpress/db
rdssecret.allowed_secret_ids=prod/ro@db
rdssecret.region=us-east-1
--FILE--
<?php
require __DIR__ . '/inc/rdssecret_test.inc';
$fake = FakeAws::start();
rs_use_fake($fake);
$fake->putSecret('prod/wordpress/db', json_encode(['password' => 'pw-' . RS_TEST_MARKER]));
$fake->putSecret('prod/ro@db', json_encode(['password' => 'pw2-' . RS_TEST_MARKER]));
rds_secret_password();
rds_secret_password('prod/ro@db');
rds_secret_login_failed();
$text = rds_secret_metrics();
var_dump(str_contains($text, RS_TEST_MARKER), str_ends_with($text, "# EOF\n"));
foreach (explode("\n", $text) as $line) {
    if (preg_match('~^(rdssecret_(fetches_total|login_failures_total|cached|forced_refused_total))\{~', $line)
        || str_starts_with($line, '# TYPE rdssecret_value_age_seconds')) {
        echo $line, "\n";
    }
}
preg_match('~^rdssecret_value_age_seconds\{secret="prod/wordpress/db",stage="AWSCURRENT",cache="shared"\} ([0-9.]+)$~m',
    $text, $m);
var_dump(isset($m[1]) && (float)$m[1] >= 0 && (float)$m[1] < 60);
/* Prometheus' text format (node_exporter's textfile collector): counter families named as their samples, no EOF. */
$prom = rds_secret_metrics('prometheus');
var_dump(str_contains($prom, "# TYPE rdssecret_fetches_total counter\n"), str_contains($prom, '# EOF'),
    str_contains($prom, "# TYPE rdssecret_cached gauge\n"));
try {
    rds_secret_metrics('json');
} catch (ValueError $e) {
    echo $e->getMessage(), "\n";
}
$s = rds_secret_info()['secrets'][0];
var_dump($s['credential_source']);
?>
--EXPECT--
bool(false)
bool(true)
rdssecret_fetches_total{secret="prod/wordpress/db",stage="AWSCURRENT",cache="shared"} 2.000
rdssecret_fetches_total{secret="prod/ro@db",stage="AWSCURRENT",cache="shared"} 1.000
rdssecret_forced_refused_total{secret="prod/wordpress/db",stage="AWSCURRENT",cache="shared"} 0.000
rdssecret_forced_refused_total{secret="prod/ro@db",stage="AWSCURRENT",cache="shared"} 0.000
rdssecret_login_failures_total{secret="prod/wordpress/db",stage="AWSCURRENT",cache="shared"} 1.000
rdssecret_login_failures_total{secret="prod/ro@db",stage="AWSCURRENT",cache="shared"} 0.000
# TYPE rdssecret_value_age_seconds gauge
rdssecret_cached{secret="prod/wordpress/db",stage="AWSCURRENT",cache="shared"} 1.000
rdssecret_cached{secret="prod/ro@db",stage="AWSCURRENT",cache="shared"} 1.000
bool(true)
bool(true)
bool(false)
bool(true)
rds_secret_metrics(): Argument #1 ($format) must be "openmetrics" or "prometheus"
string(11) "environment"
