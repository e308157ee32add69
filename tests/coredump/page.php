<?php
/* tests/coredump/run: read the secret the way wp-config.php does (every field, the password), answer only
 * lengths, and hold no copy of a value in a PHP variable when the request ends. */
header('Content-Type: text/plain');
$fields = rds_secret_get();
$length = strlen(rds_secret_password());
echo count($fields), ' fields, password of ', $length, ' bytes, pid ', getmypid(), "\n";
unset($fields);
