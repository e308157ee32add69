<?php
/* tests/iam/run: rds_iam_token()'s token for USER@HOST:PORT written to FILE (never printed), and its X-Amz-Expires.
 *   php mint.php FILE HOST PORT USER */
[, $file, $host, $port, $user] = $argv;
$token = rds_iam_token($host, (int)$port, $user);
file_put_contents($file, $token);
parse_str(explode('?', $token, 2)[1], $params);
echo json_encode(['length' => strlen($token), 'expires' => (int)$params['X-Amz-Expires'],
    'temporary' => isset($params['X-Amz-Security-Token'])]), "\n";
