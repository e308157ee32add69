<?php
/* The page tests/isolation/run requests from both pools: it runs the operations of ops= (a JSON list, POSTed) in order
 * and answers one JSON object {"pid", "results": [...]} of booleans, fingerprints (SHA-256 prefixes), error
 * names and slot numbers. Never a secret value. In pool a it plays the attacker, in pool b the victim.
 *   ["get", ID|null, STAGE|null]      rds_secret_get(): {ok, fp (of "password"), stages}, or the exception
 *   ["password", ID|null]             rds_secret_password()
 *   ["refresh", ID|null, STAGE|null]  rds_secret_refresh(): {ok, refreshed}
 *   ["putenv", "NAME=VALUE" | "NAME"] putenv() (NAME alone unsets)
 *   ["env_restore"]                   every variable back to what it was when the page started
 *   ["ini_set", NAME, VALUE]          ini_set(): {ret (false when refused), now (ini_get afterwards)}
 *   ["ini"]                           ini_get() of every rdssecret.* setting, and of precision (the marker the
 *                                     harness sets through .user.ini and PHP_VALUE to show they were read)
 *   ["info"]                          rds_secret_info(): shm, and per secret [slot, shared, secret_id, stage,
 *                                     generation, lease_pid, last_error, next_attempt_in]
 *   ["mentions", TEXT]                whether rds_secret_info() or phpinfo(INFO_MODULES) mention TEXT
 *   ["fds_exhaust"] / ["fds_release"] open /dev/null until this process has no file descriptor left / close them
 *   ["sleep_ms", MS]                  usleep */
header('Content-Type: application/json');

function fp(string $value): string
{
    return substr(hash('sha256', $value), 0, 16);
}

function error_of(Throwable $e): array
{
    static $names = null;
    if ($names === null) {
        $names = array_flip((new ReflectionClass('RdsSecret\Exception'))->getConstants());
    }
    $out = ['ok' => false, 'class' => get_class($e), 'message' => substr($e->getMessage(), 0, 300)];
    if ($e instanceof RdsSecret\Exception) {
        $out['error'] = $names[$e->getCode()] ?? (string)$e->getCode();
    } else {
        $out['error'] = get_class($e);
    }
    return $out;
}

function call(callable $f): array
{
    try {
        return $f();
    } catch (Throwable $e) {
        return error_of($e);
    }
}

$env_at_start = getenv();
$fds = [];
$results = [];
$ops = json_decode((string)($_POST['ops'] ?? '[]'), true);
foreach (is_array($ops) ? $ops : [] as $op) {
    $name = $op[0] ?? '';
    switch ($name) {
        case 'get':
            $results[] = call(function () use ($op) {
                $fields = rds_secret_get($op[1] ?? null, $op[2] ?? null);
                $r = ['ok' => true, 'fp' => fp($fields['password'] ?? '')];
                unset($fields);
                return $r;
            });
            break;
        case 'password':
            $results[] = call(fn() => ['ok' => true, 'fp' => fp(rds_secret_password($op[1] ?? null))]);
            break;
        case 'refresh':
            $results[] = call(fn() => ['ok' => true, 'refreshed' => rds_secret_refresh($op[1] ?? null, $op[2] ?? null)]);
            break;
        case 'putenv':
            $results[] = putenv((string)$op[1]);
            break;
        case 'env_restore':
            foreach (array_keys(getenv()) as $k) {
                if (!array_key_exists($k, $env_at_start)) {
                    putenv($k);
                }
            }
            foreach ($env_at_start as $k => $v) {
                putenv("$k=$v");
            }
            $results[] = getenv() == $env_at_start;
            break;
        case 'ini_set':
            $ret = @ini_set((string)$op[1], (string)$op[2]);
            $results[] = ['ret' => $ret, 'now' => ini_get((string)$op[1])];
            break;
        case 'ini':
            $all = [];
            foreach (ini_get_all('rdssecret', false) ?: [] as $k => $v) {
                $all[$k] = $v;
            }
            $all['precision'] = ini_get('precision');
            $results[] = $all;
            break;
        case 'info':
            $results[] = call(function () {
                $info = rds_secret_info();
                $secrets = [];
                foreach ($info['secrets'] ?? [] as $s) {
                    $secrets[] = [$s['slot'], $s['shared'] ?? true, substr($s['secret_id'], 0, 64), $s['version_stage'],
                        $s['generation'], $s['lease_pid'], $s['last_error'] ?? null, $s['next_attempt_in']];
                }
                return ['ok' => true, 'shm' => $info['shm'] ?? null, 'secrets' => $secrets];
            });
            break;
        case 'debug_slots':
            $results[] = rds_secret_info()['shm']['debug_slots'] ?? [];

            break;
        case 'mentions':
            ob_start();
            phpinfo(INFO_MODULES);
            $text = ob_get_clean() . json_encode(rds_secret_info());
            $results[] = str_contains($text, (string)$op[1]);
            break;
        case 'fds_exhaust':
            while (count($fds) < 100000 && ($f = @fopen('/dev/null', 'r')) !== false) {
                $fds[] = $f;
            }
            $results[] = count($fds);
            break;
        case 'fds_release':
            foreach ($fds as $f) {
                fclose($f);
            }
            $fds = [];
            $results[] = true;
            break;
        case 'sleep_ms':
            usleep((int)$op[1] * 1000);
            $results[] = true;
            break;
        default:
            $results[] = ['ok' => false, 'error' => 'unknown operation'];
    }
}
echo json_encode(['pid' => getmypid(), 'results' => $results]), "\n";
