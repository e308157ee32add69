<?php
/* tests/iam/run's client: one login with a token read from a file, printed as JSON (never the token).
 *   php login.php mysqli|mysqli-plain|pdo|pdo-plain USER TOKEN_FILE CA PORT [HOST]
 * mysqli and pdo connect over TLS verified against CA (certificate and host name); the -plain ones without TLS. */
mysqli_report(MYSQLI_REPORT_OFF);
[, $how, $user, $token_file, $ca, $port] = $argv;
$host = $argv[6] ?? '127.0.0.1';
$token = file_get_contents($token_file);
$query = "SELECT CURRENT_USER(), (SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS"
    . " WHERE VARIABLE_NAME = 'Ssl_version')";
$out = ['ok' => false, 'errno' => 0, 'user' => null, 'tls' => null];
if (str_starts_with($how, 'mysqli')) {
    $m = mysqli_init();
    $flags = 0;
    if ($how === 'mysqli') {
        $m->ssl_set(null, null, $ca, null, null);
        $m->options(MYSQLI_OPT_SSL_VERIFY_SERVER_CERT, true);
        $flags = MYSQLI_CLIENT_SSL;
    }
    if (@$m->real_connect($host, $user, $token, null, (int)$port, null, $flags)) {
        [$out['user'], $out['tls']] = $m->query($query)->fetch_row();
        $out['ok'] = true;
    } else {
        $out['errno'] = $m->connect_errno;
    }
} else {
    $options = [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION];
    if ($how === 'pdo') {
        $options += [PDO::MYSQL_ATTR_SSL_CA => $ca, PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT => true];
    }
    try {
        $pdo = @new PDO("mysql:host=$host;port=$port", $user, $token, $options);
        [$out['user'], $out['tls']] = $pdo->query($query)->fetch(PDO::FETCH_NUM);
        $out['ok'] = true;
    } catch (PDOException $e) {
        $out['errno'] = (int)($e->errorInfo[1] ?? 0) ?: (preg_match('/\[(\d+)\]/', $e->getMessage(), $m) ? (int)$m[1] : -1);
    }
}
echo json_encode($out), "\n";
