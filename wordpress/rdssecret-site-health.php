<?php
/**
 * Plugin Name: rdssecret Site Health
 * Description: Shows the state of the rdssecret database-credential cache in Tools > Site Health (never a secret), with a "Refresh now" action for administrators.
 * Version: 0.1.0
 * License: Apache-2.0
 *
 * Install as a plugin (wp-content/plugins/) or a must-use plugin (wp-content/mu-plugins/).
 */
defined('ABSPATH') || exit;

/** Where this worker's AWS credentials came from, in words (rds_secret_info()'s credential_source). */
function rdssecret_credential_words(?string $source): string
{
    $words = [
        'environment' => 'the environment (AWS_ACCESS_KEY_ID)',
        'profile' => 'the shared credentials file',
        'container' => 'the container credentials endpoint (ECS, EKS Pod Identity)',
        'imds' => 'the EC2 instance role (instance metadata)',
    ];
    if ($source === null || $source === '') {
        return 'not looked up by this PHP worker: it serves the copy another worker fetched into the host\'s cache';
    }
    return $words[$source] ?? $source;
}

/** Whether $wpdb has rdssecret's rotation survival (db.php, or the trait in another plugin's drop-in). */
function rdssecret_wpdb_survives_rotations(): bool
{
    global $wpdb;
    for ($class = is_object($wpdb) ? get_class($wpdb) : false; $class; $class = get_parent_class($class)) {
        if (in_array('RdsSecret_Wpdb_Rotation', class_uses($class), true)) {
            return true;
        }
    }
    return false;
}

/** The default secret's AWSCURRENT row of rds_secret_info(), or null when none is cached. */
function rdssecret_default_slot(array $info): ?array
{
    foreach ($info['secrets'] ?? [] as $slot) {
        if ($slot['secret_id'] === $info['secret_id'] && $slot['version_stage'] === 'AWSCURRENT') {
            return $slot;
        }
    }
    return null;
}

/** The Site Health test: one result array as WordPress expects it. */
function rdssecret_site_health_test(): array
{
    $result = [
        'label' => __('Database credentials come from AWS Secrets Manager'),
        'status' => 'good',
        'badge' => ['label' => __('Security'), 'color' => 'blue'],
        'description' => '',
        'actions' => '',
        'test' => 'rdssecret',
    ];
    if (!function_exists('rds_secret_info')) {
        $result['status'] = 'critical';
        $result['label'] = __('The rdssecret PHP extension is not loaded');
        $result['description'] = '<p>' . esc_html__('Add extension=rdssecret to php.ini and restart PHP-FPM.') . '</p>';
        return $result;
    }
    if (defined('RDSSECRET_IAM') && RDSSECRET_IAM && function_exists('rdssecret_site_health_iam')) {
        return rdssecret_site_health_iam($result);   // IAM mode: no password, nothing rotates (rdssecret-iam.php)
    }
    $info = rds_secret_info();
    $secret = rdssecret_default_slot($info);
    $lines = [
        sprintf('Secret %s, region %s.', $info['secret_id'], $info['region'] ?? '(from instance metadata)'),
        'AWS credentials: ' . rdssecret_credential_words($info['credential_source'] ?? null) . '.',
    ];
    if ($secret === null || $secret['version_id'] === null) {
        $result['status'] = 'recommended';
        $result['label'] = __('rdssecret has not cached the database secret yet');
    } else {
        $lines[] = sprintf('Version %s, fetched %s ago; %s.', $secret['version_id'],
            human_time_diff(time() - (int)$secret['age'], time()),
            $secret['expires_in'] >= 0 ? 'refreshed in ' . human_time_diff(time(), time() + (int)$secret['expires_in'])
                : 'past its refresh time by ' . human_time_diff(time() + (int)$secret['expires_in'], time()));
        $lines[] = sprintf('This host\'s cache: %s, %d failed; %s served stale; %s refused by the database.',
            sprintf(_n('%d fetch', '%d fetches', $secret['fetches']), $secret['fetches']), $secret['errors'],
            sprintf(_n('%d read', '%d reads', $secret['stale_served']), $secret['stale_served']),
            sprintf(_n('%d login', '%d logins', $secret['login_failures']), $secret['login_failures']));
        if ($secret['expires_in'] < 0 && $secret['consecutive_failures'] > 0) {
            $result['status'] = 'critical';
            $result['label'] = __('rdssecret is serving a stale database secret: Secrets Manager cannot be reached');
        } elseif ($secret['consecutive_failures'] > 0) {
            $result['status'] = 'recommended';
            $result['label'] = __('rdssecret\'s last attempt to refresh the database secret failed');
        }
        if ($secret['last_error_message'] !== null) {
            $lines[] = sprintf('Last error (%s): %s', $secret['last_error'], $secret['last_error_message']);
        }
    }
    if (!rdssecret_wpdb_survives_rotations()) {
        if ($result['status'] === 'good') {
            $result['status'] = 'recommended';
            $result['label'] = __('rdssecret\'s db.php drop-in is not installed: a password rotation can fail pages');
        }
        $lines[] = 'Database class: ' . get_class($GLOBALS['wpdb']) . ', without rdssecret\'s rotation survival '
            . '(copy db.php and rdssecret-wpdb.php to wp-content/).';
    }
    $result['description'] = '<p>' . implode('</p><p>', array_map('esc_html', $lines)) . '</p>';
    if (current_user_can('manage_options')) {
        $result['actions'] = sprintf('<p><a href="%s">%s</a></p>',
            esc_url(wp_nonce_url(admin_url('admin-post.php?action=rdssecret_refresh'), 'rdssecret_refresh')),
            esc_html__('Refresh the database secret now'));
    }
    return $result;
}

add_filter('site_status_tests', function (array $tests): array {
    $tests['direct']['rdssecret'] = ['label' => __('rdssecret'), 'test' => 'rdssecret_site_health_test'];
    return $tests;
});

/*
 * "Refresh now": fetch the secret again into the host's cache (the forced refresh a refused login makes, with
 * the same host-wide rate limit). Administrators only, with a nonce; the answer is a notice on Site Health.
 */
add_action('admin_post_rdssecret_refresh', function (): void {
    if (!current_user_can('manage_options')) {
        wp_die(esc_html__('Sorry, you are not allowed to refresh the database secret.'), 403);
    }
    check_admin_referer('rdssecret_refresh');
    $outcome = 'failed';
    if (function_exists('rds_secret_refresh')) {
        try {
            rds_secret_get();  // the refresh replaces the copy this request holds
            $outcome = rds_secret_refresh() ? 'done' : 'refused';
        } catch (RdsSecret\Exception $e) {
            $outcome = 'failed';  // the extension has logged why; the notice says where to look
        }
    }
    wp_safe_redirect(add_query_arg('rdssecret_refresh', $outcome, admin_url('site-health.php')));
    exit;
});

add_action('admin_notices', function (): void {
    $outcome = isset($_GET['rdssecret_refresh']) ? sanitize_key(wp_unslash($_GET['rdssecret_refresh'])) : '';
    $notices = [
        'done' => ['success', 'rdssecret fetched the database secret again into this host\'s cache.'],
        'refused' => ['warning', 'rdssecret did not fetch: the secret was fetched less than '
            . 'rdssecret.refresh_min_interval seconds ago, and the cache holds what Secrets Manager answered then.'],
        'failed' => ['error', 'rdssecret could not fetch the database secret; the PHP error log says why.'],
    ];
    if (isset($notices[$outcome]) && current_user_can('manage_options')) {
        printf('<div class="notice notice-%s"><p>%s</p></div>', esc_attr($notices[$outcome][0]),
            esc_html($notices[$outcome][1]));
    }
});

/* Site Health > Info: the cache state for support requests (rds_secret_info() holds no secret). */
add_filter('debug_information', function (array $info): array {
    if (!function_exists('rds_secret_info')) {
        return $info;
    }
    $state = rds_secret_info();
    $fields = [
        'version' => ['label' => 'Extension version', 'value' => (string)$state['version']],
        'secret_id' => ['label' => 'Secret', 'value' => (string)$state['secret_id']],
        'region' => ['label' => 'Region', 'value' => (string)($state['region'] ?? '(from instance metadata)')],
        'endpoint' => ['label' => 'Secrets Manager endpoint', 'value' => (string)($state['endpoint'] ?? '')],
        'credential_source' => ['label' => 'AWS credentials',
            'value' => rdssecret_credential_words($state['credential_source'] ?? null)],
        'shared_cache' => ['label' => 'Shared cache', 'value' => isset($state['shm']) ? sprintf(
            '%d of %d slots used, %s', $state['shm']['slots_used'], $state['shm']['slots'],
            $state['shm']['locked'] ? 'locked in memory' : 'not locked in memory') : 'none'],
        'rotation_survival' => ['label' => 'Rotation survival (db.php)',
            'value' => rdssecret_wpdb_survives_rotations() ? 'yes' : 'no'],
        'db_ssl_ca' => ['label' => 'Database TLS CA (RDSSECRET_DB_SSL_CA)',
            'value' => defined('RDSSECRET_DB_SSL_CA') ? (string)RDSSECRET_DB_SSL_CA : 'not set'],
    ];
    foreach ($state['secrets'] ?? [] as $i => $slot) {
        $fields["secret_$i"] = [
            'label' => sprintf('Cached: %s (%s)', $slot['secret_id'], $slot['version_stage']),
            'value' => sprintf('version %s, fetched %s s ago; %d fetches, %d failed, %d served stale, %d refused '
                . 'logins; last error: %s', $slot['version_id'] ?? 'none', isset($slot['age']) ? (int)$slot['age'] : '-',
                $slot['fetches'], $slot['errors'], $slot['stale_served'], $slot['login_failures'],
                $slot['last_error'] ?? 'none'),
        ];
    }
    $info['rdssecret'] = ['label' => 'rdssecret', 'fields' => $fields];
    return $info;
});
