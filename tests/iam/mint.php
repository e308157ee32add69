<?php
/* tests/iam/run: rds_iam_token()'s token for USER@HOST:PORT written to FILE (never printed), its X-Amz-Expires and
 * when it stops being valid (X-Amz-Date + X-Amz-Expires, epoch seconds).
 *   php mint.php FILE HOST PORT USER */
[, $file, $host, $port, $user] = $argv;
$token = rds_iam_token($host, (int)$port, $user);
file_put_contents($file, $token);
parse_str(explode('?', $token, 2)[1], $params);
$signed = DateTime::createFromFormat('Ymd\THis\Z', $params['X-Amz-Date'], new DateTimeZone('UTC'));
echo json_encode(['length' => strlen($token), 'expires' => (int)$params['X-Amz-Expires'],
    'valid_until' => $signed ? $signed->getTimestamp() + (int)$params['X-Amz-Expires'] : null,
    'temporary' => isset($params['X-Amz-Security-Token'])]), "\n";
