<?php
/**
 * rdssecret database drop-in for WordPress (copy to wp-content/db.php).
 *
 * A rotation changes the password in the database and in Secrets Manager a few seconds apart. A worker that
 * still holds the previous password gets "Access denied" (MySQL error 1045). Instead of failing the page, this
 * drop-in asks rdssecret for a fresh copy of the secret (the refresh is rate-limited across the host, so fifty
 * workers failing at once cause one request to Secrets Manager) and logs in again. During a single-user
 * rotation there is a window in which the database already has the new password but AWSCURRENT still names
 * the old one: then the AWSPENDING version is tried too. Passwords are never logged.
 */
defined('ABSPATH') || exit;

class RdsSecret_wpdb extends wpdb
{
    /** MySQL/MariaDB "Access denied for user" */
    private const ER_ACCESS_DENIED = 1045;

    public function db_connect($allow_bail = true)
    {
        if (parent::db_connect(false)) {
            return true;
        }
        if (!function_exists('rds_secret_get') || $this->last_connect_errno() !== self::ER_ACCESS_DENIED) {
            return parent::db_connect($allow_bail);
        }
        foreach ($this->candidate_credentials() as $credentials) {
            [$this->dbuser, $this->dbpassword] = $credentials;
            if (parent::db_connect(false)) {
                return true;
            }
        }
        return parent::db_connect($allow_bail);
    }

    /** Credentials to try after an access-denied: a fresh AWSCURRENT, then AWSPENDING. */
    private function candidate_credentials(): array
    {
        $tried = [[$this->dbuser, $this->dbpassword]];
        $candidates = [];
        try {
            rds_secret_refresh();
        } catch (RdsSecret\Exception $e) {
            // Rate-limited or Secrets Manager unreachable: the cache's current value is still worth a try.
            error_log('rdssecret db.php: refresh failed: ' . $e->getMessage());
        }
        foreach ([null, 'AWSPENDING'] as $stage) {
            try {
                if ($stage !== null) {
                    // A copy cached during an earlier rotation would be stale: AWSPENDING changes every rotation.
                    rds_secret_refresh(null, $stage);
                }
                $secret = rds_secret_get(null, $stage);
            } catch (RdsSecret\Exception $e) {
                continue;  // no AWSPENDING outside a rotation
            }
            $pair = [$secret['username'] ?? $this->dbuser, $secret['password'] ?? ''];
            if (!in_array($pair, $tried, true) && !in_array($pair, $candidates, true)) {
                $candidates[] = $pair;
            }
        }
        return $candidates;
    }

    private function last_connect_errno(): int
    {
        if ($this->dbh instanceof mysqli && $this->dbh->connect_errno) {
            return (int)$this->dbh->connect_errno;
        }
        return (int)mysqli_connect_errno();
    }
}

$wpdb = new RdsSecret_wpdb(DB_USER, DB_PASSWORD, DB_NAME, DB_HOST);
