<?php
/* The same page as plain.php plus the call a wp-config.php makes (the value is not printed). */
$password = rds_secret_password();
$title = 'rdssecret benchmark';
echo "<!doctype html><html><head><title>$title</title></head><body><p>Hello from PHP-FPM.</p></body></html>\n";
