<?php
/**
 * rdssecret database drop-in for WordPress (copy to wp-content/db.php, with rdssecret-wpdb.php beside it).
 *
 * WordPress's own wpdb plus rdssecret's rotation survival (see rdssecret-wpdb.php): a login refused because a
 * rotation changed the password is retried with a fresh copy of the secret, and during a single-user rotation with
 * AWSPENDING, so a rotation costs no failed page. With RDSSECRET_DB_SSL_CA defined in wp-config.php it connects
 * over TLS and verifies the server's certificate and host name. Another plugin's drop-in (Query Monitor, ...)
 * takes the same three lines: see README, "Another plugin's db.php".
 */
defined('ABSPATH') || exit;

// IAM database authentication (wp-config-rdssecret-iam.php defined RDSSECRET_IAM): a token, no password; see
// rdssecret-iam.php. Without that file there is no IAM mode to fall back from: PHP's fatal error names it.
if (defined('RDSSECRET_IAM') && RDSSECRET_IAM) {
    require_once __DIR__ . '/rdssecret-iam.php';
    class RdsSecret_IAM_wpdb extends wpdb { use RdsSecret_Wpdb_IAM; }
    $wpdb = new RdsSecret_IAM_wpdb(DB_USER, DB_PASSWORD, DB_NAME, DB_HOST);
    return;
}

if (is_readable(__DIR__ . '/rdssecret-wpdb.php')) {
    require_once __DIR__ . '/rdssecret-wpdb.php';
    class RdsSecret_wpdb extends wpdb { use RdsSecret_Wpdb_Rotation; }
    $wpdb = new RdsSecret_wpdb(DB_USER, DB_PASSWORD, DB_NAME, DB_HOST);
} else {
    // Serve the site, but say that rotations will now fail pages (Site Health says it too).
    error_log('rdssecret db.php: ' . __DIR__ . '/rdssecret-wpdb.php is missing: WordPress connects without '
        . 'rotation survival and without RDSSECRET_DB_SSL_CA');
}
