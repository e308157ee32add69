<?php
/**
 * Plugin Name: rdssecret Site Health
 * Description: Shows the state of the rdssecret database-credential cache in Tools > Site Health (never a secret).
 * Version: 0.1.0
 * License: Apache-2.0
 *
 * Install as a plugin (wp-content/plugins/) or a must-use plugin (wp-content/mu-plugins/).
 */
defined('ABSPATH') || exit;

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
    $info = rds_secret_info();
    $secret = null;
    foreach ($info['secrets'] ?? [] as $slot) {
        if ($slot['secret_id'] === $info['secret_id']) {
            $secret = $slot;
            break;
        }
    }
    $lines = [sprintf('Secret %s, region %s, credentials from %s.', $info['secret_id'], $info['region'] ?? '?',
        $info['credential_source'] ?? 'not resolved yet in this worker')];
    if ($secret === null || $secret['version_id'] === null) {
        $result['status'] = 'recommended';
        $result['label'] = __('rdssecret has not cached the database secret yet');
    } else {
        $lines[] = sprintf('Version %s fetched %d s ago; %d fetches, %d errors in this host\'s cache.',
            $secret['version_id'], (int)$secret['age'], $secret['fetches'], $secret['errors']);
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
    $result['description'] = '<p>' . implode('</p><p>', array_map('esc_html', $lines)) . '</p>';
    return $result;
}

add_filter('site_status_tests', function (array $tests): array {
    $tests['direct']['rdssecret'] = ['label' => __('rdssecret'), 'test' => 'rdssecret_site_health_test'];
    return $tests;
});

/* Site Health > Info: the cache state for support requests (rds_secret_info() holds no secret). */
add_filter('debug_information', function (array $info): array {
    if (!function_exists('rds_secret_info')) {
        return $info;
    }
    $state = rds_secret_info();
    $fields = [];
    foreach (['version', 'secret_id', 'region', 'endpoint', 'credential_source'] as $key) {
        $fields[$key] = ['label' => $key, 'value' => (string)($state[$key] ?? '')];
    }
    foreach ($state['secrets'] ?? [] as $i => $slot) {
        $fields["secret_$i"] = ['label' => $slot['secret_id'] . ' (' . $slot['version_stage'] . ')',
            'value' => sprintf('version %s, age %ss, fetches %d, errors %d, last error %s',
                $slot['version_id'] ?? '-', $slot['age'] ?? '-', $slot['fetches'], $slot['errors'],
                $slot['last_error'] ?? 'none')];
    }
    $info['rdssecret'] = ['label' => 'rdssecret', 'fields' => $fields];
    return $info;
});
