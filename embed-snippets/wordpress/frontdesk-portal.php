<?php
/**
 * Plugin Name: Frontdesk customer portal
 * Description: [frontdesk_portal] shows your customers their balance, invoices and estimates.
 * Version: 1.0.0
 */

if (!defined('ABSPATH')) {
    exit;
}

/** A short-lived embed token for the signed-in user, or '' (the portal then offers email sign-in). */
function frontdesk_portal_token(): string
{
    if (!is_user_logged_in() || !defined('FRONTDESK_SECRET_KEY')) {
        return '';
    }
    $customer = rawurlencode('external:wp-' . get_current_user_id());
    $response = wp_remote_post(FRONTDESK_HOST . "/api/v1/customers/{$customer}/portal-sessions", [
        'headers' => ['Authorization' => 'Bearer ' . FRONTDESK_SECRET_KEY],
        'timeout' => 5,
    ]);
    if (is_wp_error($response) || wp_remote_retrieve_response_code($response) !== 201) {
        return '';
    }
    $body = json_decode(wp_remote_retrieve_body($response), true);
    return is_array($body) && isset($body['token']) ? $body['token'] : '';
}

function frontdesk_portal_shortcode(): string
{
    $token = frontdesk_portal_token();
    return sprintf(
        '<script async src="%s/widget/frontdesk.js"></script>' .
        '<frontdesk-portal business="%s"%s></frontdesk-portal>',
        esc_url(FRONTDESK_HOST),
        esc_attr(FRONTDESK_PUBLISHABLE_KEY),
        $token ? ' token="' . esc_attr($token) . '"' : ''
    );
}

add_shortcode('frontdesk_portal', 'frontdesk_portal_shortcode');
