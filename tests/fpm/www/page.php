<?php
/* The page tests/fpm/run requests from php-fpm: does with rdssecret what the query asks and answers one JSON
 * object of booleans, fingerprints (SHA-256 prefixes) and counters. Never a secret value.
 *   a=read      (default) read the password; hold=MS keeps the worker busy afterwards
 *   a=read2     read, then wait (for the file SYNC/go when sync=SYNC names a folder under the temp dir, after
 *               creating SYNC/ready; else ms=MS), then read again (the per-request version pin)
 *   a=refresh   rds_secret_refresh(), then read; hold=MS afterwards
 *   a=info      the slot's state and the shared memory's (size, slots, used, locked) only, no read; hold=MS
 *   a=killwrite (debug build) the next value write of this process kills it half way, then force a refresh */
header('Content-Type: application/json');

function fp(string $value): string
{
    return substr(hash('sha256', $value), 0, 16);
}

/* The state of the slot of rdssecret.secret_id (AWSCURRENT) from rds_secret_info(); null before first use. */
function slot_state(): ?array
{
    $id = ini_get('rdssecret.secret_id');
    foreach (rds_secret_info()['secrets'] ?? [] as $s) {
        if ($s['secret_id'] === $id && $s['version_stage'] === 'AWSCURRENT') {
            $keep = ['generation', 'version_id', 'fetches', 'errors', 'consecutive_failures', 'stale_served', 'waits',
                'forced_refreshes', 'forced_refused', 'next_attempt_in', 'expires_in', 'lease_pid', 'last_error'];
            return array_intersect_key($s, array_flip($keep));
        }
    }
    return null;
}

function error_name(int $code): string
{
    static $names = null;
    if ($names === null) {
        $names = array_flip((new ReflectionClass('RdsSecret\Exception'))->getConstants());
    }
    return $names[$code] ?? (string)$code;
}

/* One read: fingerprint of the password, and whether rds_secret_get() of the same request agrees. */
function read(array &$out, string $prefix = ''): void
{
    try {
        $password = rds_secret_password();
        $fields = rds_secret_get();
        $out[$prefix . 'ok'] = true;
        $out[$prefix . 'fp'] = fp($password);
        $out[$prefix . 'consistent'] = ($fields['password'] ?? null) === $password;
        unset($password, $fields);
    } catch (RdsSecret\Exception $e) {
        $out[$prefix . 'ok'] = false;
        $out[$prefix . 'error'] = error_name($e->getCode());
        $out[$prefix . 'message'] = $e->getMessage();
    }
}

$out = ['pid' => getmypid()];
$action = $_GET['a'] ?? 'read';
switch ($action) {
    case 'read':
        read($out);
        break;
    case 'read2':
        read($out, 'first_');
        $sync = realpath((string)($_GET['sync'] ?? ''));
        $tmp = realpath(sys_get_temp_dir());
        if ($sync !== false && $tmp !== false && is_dir($sync) && str_starts_with($sync, $tmp . '/')) {
            touch("$sync/ready");
            for ($i = 0; $i < 2000 && !file_exists("$sync/go"); $i++) {
                usleep(10000);
            }
            $out['went'] = file_exists("$sync/go");
        } else {
            usleep((int)($_GET['ms'] ?? 1000) * 1000);
        }
        read($out, 'second_');
        break;
    case 'refresh':
        try {
            $out['refreshed'] = rds_secret_refresh();
        } catch (RdsSecret\Exception $e) {
            $out['refresh_error'] = error_name($e->getCode());
        }
        read($out);
        break;
    case 'info':
        $out['shm'] = rds_secret_info()['shm'] ?? null;
        break;
    case 'killwrite':
        ini_set('rdssecret.debug_kill_mid_write', '1');
        $out['refreshed'] = rds_secret_refresh();  /* not reached when the hook works */
        $out['survived'] = true;
        break;
    default:
        http_response_code(400);
        $out['error'] = 'unknown action';
}
if (isset($_GET['hold'])) {
    usleep((int)$_GET['hold'] * 1000);
}
$out['slot'] = slot_state();
echo json_encode($out), "\n";
