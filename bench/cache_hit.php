<?php
/* The cache-hit microbenchmark, run by bench/cache-hit with the PHP CLI (rdssecret and APCu loaded, the fake
 * AWS holding the secret): ns per call of rds_secret_password() against a PHP constant, a userland function,
 * getenv() and apcu_fetch() of the same string, in loops timed with hrtime(). Prints one JSON object.
 * usage: php ... cache_hit.php ITERATIONS RUNS [VARIANT]   (VARIANT alone: one loop, for callgrind) */

const BENCH_PW = 'bench-Pw-0123456789-abcdefghijkl';

function user_pw(): string
{
    return 'bench-Pw-0123456789-abcdefghijkl';
}

function loop_empty(int $n): int
{
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $v = '';
    }
    return hrtime(true) - $t;
}

function loop_constant(int $n): int
{
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $v = BENCH_PW;
    }
    return hrtime(true) - $t;
}

function loop_userland(int $n): int
{
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $v = user_pw();
    }
    return hrtime(true) - $t;
}

function loop_getenv(int $n): int
{
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $v = getenv('RDSSECRET_BENCH_PW');
    }
    return hrtime(true) - $t;
}

function loop_apcu(int $n): int
{
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $v = apcu_fetch('rdssecret_bench_pw');
    }
    return hrtime(true) - $t;
}

function loop_rdssecret(int $n): int
{
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $v = rds_secret_password();
    }
    return hrtime(true) - $t;
}

$n = (int)($argv[1] ?? 2000000);
$runs = (int)($argv[2] ?? 7);
$only = $argv[3] ?? null;
$variants = ['empty', 'constant', 'userland', 'getenv', 'apcu', 'rdssecret'];

apcu_store('rdssecret_bench_pw', BENCH_PW);
/* The first call fetches from Secrets Manager (the fake); every later one is a cache hit. All five give the
 * same string: checked, not printed. */
$same = rds_secret_password() === BENCH_PW && user_pw() === BENCH_PW && getenv('RDSSECRET_BENCH_PW') === BENCH_PW
    && apcu_fetch('rdssecret_bench_pw') === BENCH_PW;

if ($only !== null) {
    ('loop_' . $only)($n);
    echo json_encode(['same' => $same]), "\n";
    exit(0);
}

/* One discarded round: the first loop of each kind runs slower (caches, branch predictors, CPU clock). */
foreach ($variants as $v) {
    ('loop_' . $v)($n);
}
$ns = array_fill_keys($variants, []);
for ($r = 0; $r < $runs; $r++) {
    /* Rotate the order so that no variant always runs first or last. */
    $order = array_merge(array_slice($variants, $r % count($variants)), array_slice($variants, 0, $r % count($variants)));
    foreach ($order as $v) {
        $ns[$v][] = ('loop_' . $v)($n) / $n;
    }
}
echo json_encode(['same' => $same, 'iterations' => $n, 'runs' => $runs, 'ns' => $ns]), "\n";
