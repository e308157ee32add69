<?php
/* The IAM token microbenchmark, run by bench/iam-token with the PHP CLI or php-fpm (rdssecret loaded, credentials
 * in the environment): ns per rds_iam_token() cache hit against minting a token per call in userland PHP, the
 * least a site pays when it signs per request itself (the AWS SDK for PHP's AuthTokenGenerator does more: a
 * credential provider chain, a request object, a presigner). Prints one JSON object.
 *   php ... iam_token.php loop ITERATIONS RUNS HOST PORT USER REGION   loops in one process (CLI)
 *   php ... iam_token.php check HOST PORT USER REGION                   the userland token for the botocore vector
 * From php-fpm (SCRIPT_FILENAME, query "variant=...&host=..."): one call, the first of its request, timed. */

/** An RDS IAM token, SigV4 presigned in userland as botocore's generate_db_auth_token makes it. */
function userland_rds_token(string $host, int $port, string $user, string $region, string $akid, string $secret,
                            ?string $session, int $time, int $expires = 900): string
{
    $date = gmdate('Ymd', $time);
    $amz_date = gmdate('Ymd\THis\Z', $time);
    $scope = "$date/$region/rds-db/aws4_request";
    $params = ['Action' => 'connect', 'DBUser' => $user, 'X-Amz-Algorithm' => 'AWS4-HMAC-SHA256',
        'X-Amz-Credential' => "$akid/$scope", 'X-Amz-Date' => $amz_date, 'X-Amz-Expires' => (string)$expires];
    if ($session !== null && $session !== '') {
        $params['X-Amz-Security-Token'] = $session;
    }
    $params['X-Amz-SignedHeaders'] = 'host';
    ksort($params, SORT_STRING);
    $query = http_build_query($params, '', '&', PHP_QUERY_RFC3986);
    $hostport = "$host:$port";
    $canonical = "GET\n/\n$query\nhost:$hostport\n\nhost\n" . hash('sha256', '');
    $to_sign = "AWS4-HMAC-SHA256\n$amz_date\n$scope\n" . hash('sha256', $canonical);
    $key = hash_hmac('sha256', 'aws4_request', hash_hmac('sha256', 'rds-db',
        hash_hmac('sha256', $region, hash_hmac('sha256', $date, 'AWS4' . $secret, true), true), true), true);
    return "$hostport/?$query&X-Amz-Signature=" . hash_hmac('sha256', $to_sign, $key);
}

function creds(): array
{
    return [getenv('AWS_ACCESS_KEY_ID'), getenv('AWS_SECRET_ACCESS_KEY'), getenv('AWS_SESSION_TOKEN') ?: null];
}

function loop_empty(int $n, array $a): int
{
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $v = '';
    }
    return hrtime(true) - $t;
}

function loop_hit(int $n, array $a): int
{
    [$host, $port, $user, $region] = $a;
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $v = rds_iam_token($host, $port, $user, $region);
    }
    return hrtime(true) - $t;
}

function loop_userland(int $n, array $a): int
{
    [$host, $port, $user, $region] = $a;
    [$akid, $secret, $session] = creds();
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $v = userland_rds_token($host, $port, $user, $region, $akid, $secret, $session, time());
    }
    return hrtime(true) - $t;
}

if (PHP_SAPI === 'cli') {
    $mode = $argv[1] ?? '';
    if ($mode === 'check') {
        echo userland_rds_token($argv[2], (int)$argv[3], $argv[4], $argv[5], 'akid', 'skid', null,
            gmmktime(17, 39, 33, 11, 7, 2016)), "\n";
        exit(0);
    }
    [, , $n, $runs, $host, $port, $user, $region] = $argv;
    $n = (int)$n;
    $runs = (int)$runs;
    $a = [$host, (int)$port, $user, $region];
    /* The first call mints; every later one is a hit. Both variants make a token of the same shape (checked,
     * never printed): same length, same parameters up to the signature. */
    $hit = rds_iam_token(...$a);
    [$akid, $secret, $session] = creds();
    $mine = userland_rds_token($host, (int)$port, $user, $region, $akid, $secret, $session, time());
    $same = strlen($hit) === strlen($mine) && explode('&X-Amz-Date=', $hit)[0] === explode('&X-Amz-Date=', $mine)[0];
    $variants = ['empty', 'hit', 'userland'];
    foreach ($variants as $v) {
        ('loop_' . $v)($n, $a);   // warm-up round, discarded
    }
    $ns = array_fill_keys($variants, []);
    for ($r = 0; $r < $runs; $r++) {
        $order = array_merge(array_slice($variants, $r % 3), array_slice($variants, 0, $r % 3));
        foreach ($order as $v) {
            $ns[$v][] = ('loop_' . $v)($n, $a) / $n;
        }
    }
    echo json_encode(['same_shape' => $same, 'ns' => $ns]), "\n";
    exit(0);
}

/* php-fpm: one call, the first of this request (the shared slot is checked, the per-process copy may be stale). */
$host = $_GET['host'];
$port = (int)$_GET['port'];
$user = $_GET['user'];
$region = $_GET['region'];
[$akid, $secret, $session] = creds();
$t = hrtime(true);
switch ($_GET['variant']) {
    case 'hit':
        $v = rds_iam_token($host, $port, $user, $region);
        break;
    case 'userland':
        $v = userland_rds_token($host, $port, $user, $region, $akid, $secret, $session, time());
        break;
    default:
        $v = '';
}
$ns = hrtime(true) - $t;
header('Content-Type: application/json');
echo json_encode(['ns' => $ns, 'pid' => getmypid(), 'len' => strlen($v)]);
