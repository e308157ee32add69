<?php
/**
 * rdssecret IAM database authentication for any wpdb class (copy to wp-content/rdssecret-iam.php, next to db.php
 * and rdssecret-wpdb.php). db.php uses it when wp-config-rdssecret-iam.php defined RDSSECRET_IAM; another plugin's
 * drop-in takes it the same way as the rotation trait:
 *     class My_DB extends Their_DB { use RdsSecret_Wpdb_IAM; }
 *
 * Every connection logs in with a token from rds_iam_token() (the host-wide cache: one minted token serves every
 * worker of the host until it is renewed) as the password, over TLS verified against RDSSECRET_DB_SSL_CA (the
 * server's certificate and host name: rdssecret-wpdb.php's connection), through mysqli: mysqlnd answers the
 * server's request for the cleartext plugin (mysql_clear_password) that IAM authentication uses. TLS is not
 * optional: without RDSSECRET_DB_SSL_CA nothing is sent, since the cleartext plugin would send the token as it is.
 * A refused login (1045) is retried once with a token signed anew (rds_iam_token_refresh(): credentials fetched
 * again, rate-limited across the host, counted and logged by rdssecret). Tokens are never logged.
 */
defined('ABSPATH') || exit;

require_once __DIR__ . '/rdssecret-wpdb.php';

if (!trait_exists('RdsSecret_Wpdb_IAM', false)) {
    trait RdsSecret_Wpdb_IAM
    {
        use RdsSecret_Wpdb_Rotation;   // for rdssecret_connect_once(): the TLS connection, verified

        public function db_connect($allow_bail = true)
        {
            [$connected, $errno, $why] = $this->rdssecret_iam_login();
            if ($connected) {
                return true;
            }
            error_log(sprintf('rdssecret IAM: logging in to %s as %s failed: %s', $this->dbhost, $this->dbuser, $why));
            if ($allow_bail) {
                wp_load_translations_early();
                $this->bail('<h1>' . __('Error establishing a database connection') . "</h1>\n<p>"
                    . sprintf('IAM database authentication to %s failed%s.',
                        '<code>' . htmlspecialchars((string)$this->dbhost, ENT_QUOTES) . '</code>',
                        $errno ? " (error $errno)" : '')
                    . "</p>\n", 'db_connect_fail');
            }
            return false;
        }

        /** [true, 0, ''] once connected, else [false, the MySQL error number (0: none), why]; never the token. */
        private function rdssecret_iam_login(): array
        {
            if (!defined('RDSSECRET_DB_SSL_CA') || !is_readable((string)RDSSECRET_DB_SSL_CA)) {
                return [false, 0, 'RDSSECRET_DB_SSL_CA must name a readable CA bundle (RDS: global-bundle.pem): '
                    . 'IAM tokens go over verified TLS only'];
            }
            $parsed = $this->parse_db_host((string)$this->dbhost);
            if (!$parsed || $parsed[0] === '' || $parsed[2] !== null) {
                return [false, 0, 'DB_HOST must be host or host:port (IAM tokens are for a TCP endpoint)'];
            }
            $host = $parsed[0];
            $port = $parsed[1] ?: 3306;
            $user = (string)$this->dbuser;
            $region = defined('RDSSECRET_IAM_REGION') ? (string)RDSSECRET_IAM_REGION : null;
            $errno = 0;
            for ($attempt = 0; $attempt < 2; $attempt++) {
                try {
                    // After a refusal: the database refused the cached token (credentials revoked, a clock
                    // off): rdssecret signs a new one, once per host however many workers were refused.
                    if ($attempt > 0 && !rds_iam_token_refresh($host, $port, $user, $region)
                        && rds_iam_token($host, $port, $user, $region) === $this->dbpassword) {
                        break;   // rate-limited and nobody renewed it meanwhile: nothing new to try
                    }
                    $this->dbpassword = rds_iam_token($host, $port, $user, $region);
                } catch (RdsSecret\Exception $e) {
                    return [false, $errno, $e->getMessage()];
                }
                $errno = $this->rdssecret_connect_once();
                if ($errno === 0 || $errno !== RdsSecret_Rotation::ER_ACCESS_DENIED) {
                    break;   // connected, or TLS and network: a new token changes nothing
                }
            }
            return [$errno === 0, $errno, $errno === 0 ? '' : ($errno === RdsSecret_Rotation::ER_ACCESS_DENIED
                ? 'the database refused the token (error 1045): is IAM authentication enabled, the user created '
                    . "WITH AWSAuthenticationPlugin, the role allowed rds-db:connect on this user, the region right?"
                : "error $errno (the line above says why)")];
        }
    }
}

if (!function_exists('rdssecret_site_health_iam')) {
    /**
     * Site Health's rdssecret test in IAM mode (rdssecret-site-health.php calls it when RDSSECRET_IAM is defined):
     * the host's token for WordPress's account, its renewal and mintings, the credentials; never a token.
     */
    function rdssecret_site_health_iam(array $result): array
    {
        global $wpdb;
        $result['label'] = __('WordPress logs in to its database with IAM authentication (no password)');
        $parsed = is_object($wpdb) ? $wpdb->parse_db_host((string)DB_HOST) : false;
        $account = sprintf('%s@%s:%d', DB_USER, $parsed[0] ?? DB_HOST, ($parsed[1] ?? null) ?: 3306);
        $info = rds_secret_info();
        $token = null;
        foreach ($info['iam_tokens'] ?? [] as $t) {
            if ($t['account'] === $account) {
                $token = $t;
            }
        }
        $lines = ['Database account ' . $account . '; AWS credentials: '
            . rdssecret_credential_words($info['credential_source'] ?? null) . '.'];
        if (!in_array('RdsSecret_Wpdb_IAM', class_uses($wpdb), true)) {
            $result['status'] = 'critical';
            $result['label'] = __('IAM mode is on but db.php does not log in with tokens');
            $lines[] = 'Database class: ' . get_class($wpdb) . ' (copy db.php, rdssecret-wpdb.php and '
                . 'rdssecret-iam.php to wp-content/).';
        }
        if ($token === null || $token['expires_in'] === null) {
            $result['status'] = 'recommended';
            $lines[] = 'No token is cached for this account on this host.';
        } else {
            $lines[] = sprintf('Region %s; this host\'s token is renewed in %d s and valid %d s more; %d minted; %d '
                . 'failed.', $token['region'], (int)$token['renewed_in'], (int)$token['expires_in'],
                $token['mintings'], $token['errors']);
            if ($token['last_error'] !== null) {
                $result['status'] = 'recommended';
                $lines[] = 'Last error: ' . $token['last_error'];
            }
        }
        $result['description'] = '<p>' . implode('</p><p>', array_map('esc_html', $lines)) . '</p>';
        $result['actions'] = '';
        return $result;
    }
}
