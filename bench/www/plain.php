<?php
/* The small page of bench/request-overhead, without the call (plain2.php is a copy: the A/A control). */
$title = 'rdssecret benchmark';
echo "<!doctype html><html><head><title>$title</title></head><body><p>Hello from PHP-FPM.</p></body></html>\n";
