<?php
/* tests/iam/run, through php-fpm: log in with rds_iam_token()'s token over verified TLS; with ?barrier=N&dir=D,
 * stay in the request until N requests are in it at once (so N distinct workers served them). JSON, never a token. */
mysqli_report(MYSQLI_REPORT_OFF);
$port = (int)$_GET['port'];
$user = $_GET['user'] ?? 'wp';
$out = ['pid' => getmypid(), 'ok' => false];
try {
    $token = rds_iam_token('127.0.0.1', $port, $user);
    $m = mysqli_init();
    $m->ssl_set(null, null, $_GET['ca'], null, null);
    $m->options(MYSQLI_OPT_SSL_VERIFY_SERVER_CERT, true);
    if (@$m->real_connect('127.0.0.1', $user, $token, null, $port, null, MYSQLI_CLIENT_SSL)) {
        $out['ok'] = true;
        $out['tls'] = $m->query("SHOW SESSION STATUS LIKE 'Ssl_version'")->fetch_row()[1];
    } else {
        $out['errno'] = $m->connect_errno;
    }
    $out['sha'] = substr(hash('sha256', $token), 0, 12);
} catch (RdsSecret\Exception $e) {
    $codes = array_flip((new ReflectionClass($e))->getConstants());
    $out['exception'] = $codes[$e->getCode()] ?? $e->getCode();
    $out['message'] = $e->getMessage();
}
if (isset($_GET['barrier'])) {
    $dir = $_GET['dir'];
    touch("$dir/" . getmypid());
    for ($i = 0; $i < 600 && count(glob("$dir/*")) < (int)$_GET['barrier']; $i++) {
        usleep(50000);
    }
}
header('Content-Type: application/json');
echo json_encode($out);
