<?php
/* The same page as plain.php, reading the same string from APCu (stored by the first request). */
$password = apcu_fetch('rdssecret_bench_pw');
if ($password === false) {
    apcu_store('rdssecret_bench_pw', 'bench-Pw-0123456789-abcdefghijkl');
}
$title = 'rdssecret benchmark';
echo "<!doctype html><html><head><title>$title</title></head><body><p>Hello from PHP-FPM.</p></body></html>\n";
