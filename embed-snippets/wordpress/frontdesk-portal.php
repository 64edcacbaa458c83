<?php
/**
 * Plugin Name: Frontdesk customer portal
 * Description: [frontdesk_portal] shows your customers their balance, invoices and estimates.
 * Version: 1.1.0
 * Requires PHP: 7.4
 */

if (!defined('ABSPATH')) {
    exit;
}

const FRONTDESK_PORTAL_OPTION = 'frontdesk_portal';
const FRONTDESK_PORTAL_PAGE = 'frontdesk-portal';
const FRONTDESK_PORTAL_ROUTE = '/frontdesk/v1/token';

/**
 * One setting: 'host', 'publishable_key' or 'secret_key'. A constant in wp-config.php
 * (FRONTDESK_HOST, ...) wins over Settings → Frontdesk.
 */
function frontdesk_portal_setting(string $name): string
{
    $constant = 'FRONTDESK_' . strtoupper($name);
    if (defined($constant)) {
        return trim((string) constant($constant));
    }
    $saved = get_option(FRONTDESK_PORTAL_OPTION);
    return is_array($saved) && isset($saved[$name]) ? trim((string) $saved[$name]) : '';
}

/** The Frontdesk host without a trailing slash, or '' when it is not an http(s) URL. */
function frontdesk_portal_host(): string
{
    return untrailingslashit(esc_url_raw(frontdesk_portal_setting('host'), ['https', 'http']));
}

function frontdesk_portal_configured(): bool
{
    return frontdesk_portal_host() !== '' && frontdesk_portal_setting('publishable_key') !== '';
}

function frontdesk_portal_settings_url(): string
{
    return admin_url('options-general.php?page=' . FRONTDESK_PORTAL_PAGE);
}

function frontdesk_portal_shortcode(): string
{
    if (!frontdesk_portal_configured()) {
        // Visitors see nothing; whoever can fix it sees why.
        if (!current_user_can('manage_options')) {
            return '';
        }
        return sprintf(
            '<p class="frontdesk-portal-notice"><strong>Frontdesk portal:</strong> not set up yet, so '
            . 'visitors see nothing here. Add your Frontdesk host and publishable key in '
            . '<a href="%s">Settings → Frontdesk</a>. Only administrators see this note.</p>',
            esc_url(frontdesk_portal_settings_url())
        );
    }
    // The page itself never waits for Frontdesk: for a signed-in user the portal asks this
    // site's REST route for a token when it starts. The nonce in the URL is how WordPress
    // REST accepts the user's cookies (the loader's fetch sends no custom headers).
    $token_url = '';
    if (is_user_logged_in() && frontdesk_portal_setting('secret_key') !== '') {
        $token_url = add_query_arg(
            '_wpnonce',
            wp_create_nonce('wp_rest'),
            rest_url(FRONTDESK_PORTAL_ROUTE)
        );
    }
    // Enqueued, not printed here: once per page however many portals, and never lost when
    // something renders the content only to discard it (an excerpt, an SEO description).
    wp_enqueue_script('frontdesk-portal', frontdesk_portal_host() . '/widget/frontdesk.js', [], null, true);
    return sprintf(
        '<frontdesk-portal business="%s"%s></frontdesk-portal>',
        esc_attr(frontdesk_portal_setting('publishable_key')),
        $token_url ? ' token-url="' . esc_url($token_url) . '"' : ''
    );
}

add_shortcode('frontdesk_portal', 'frontdesk_portal_shortcode');

add_filter('script_loader_tag', function (string $tag, string $handle): string {
    return $handle === 'frontdesk-portal' ? str_replace(' src=', ' async src=', $tag) : $tag;
}, 10, 2);

/**
 * GET /wp-json/frontdesk/v1/token: a short-lived embed token for the signed-in user, whose
 * Frontdesk customer has the external id wp-<user id>.
 *
 * @return WP_REST_Response|WP_Error
 */
function frontdesk_portal_token()
{
    $secret = frontdesk_portal_setting('secret_key');
    if (!frontdesk_portal_configured() || $secret === '') {
        return new WP_Error('frontdesk_not_configured', 'The portal is not set up.', ['status' => 404]);
    }
    $customer = rawurlencode('external:wp-' . get_current_user_id());
    $url = frontdesk_portal_host() . "/api/v1/customers/{$customer}/portal-sessions";
    $response = wp_remote_post($url, [
        'headers' => ['Authorization' => 'Bearer ' . $secret],
        'timeout' => 5,
    ]);
    $status = wp_remote_retrieve_response_code($response);
    if (is_wp_error($response) || $status !== 201) {
        // 404: no Frontdesk customer for this user, who gets the email sign-in instead.
        $status = $status === 404 ? 404 : 502;
        return new WP_Error('frontdesk_no_token', 'Frontdesk gave no token.', ['status' => $status]);
    }
    $body = json_decode(wp_remote_retrieve_body($response), true);
    if (!is_array($body) || !isset($body['token']) || !is_string($body['token'])) {
        return new WP_Error('frontdesk_no_token', 'Frontdesk gave no token.', ['status' => 502]);
    }
    return new WP_REST_Response($body['token'], 200, ['Cache-Control' => 'no-store']);
}

add_action('rest_api_init', function (): void {
    register_rest_route('frontdesk/v1', '/token', [
        'methods' => 'GET',
        'callback' => 'frontdesk_portal_token',
        // Without a valid wp_rest nonce WordPress treats a cookie request as signed out.
        'permission_callback' => 'is_user_logged_in',
    ]);
});

/** The loader reads the token-url's answer as plain text, not JSON. */
add_filter('rest_pre_serve_request', function ($served, $result, $request) {
    $ours = $request->get_route() === FRONTDESK_PORTAL_ROUTE && $result->get_status() === 200;
    if ($served || !$ours) {
        return $served;
    }
    // Cache-Control: no-store is already sent; WordPress's own no-cache headers would come
    // after the body here.
    add_filter('rest_send_nocache_headers', '__return_false', 99);
    header('Content-Type: text/plain; charset=utf-8');
    echo (string) $result->get_data();
    return true;
}, 10, 3);

/* Settings → Frontdesk, the alternative to constants in wp-config.php. */

add_action('admin_menu', function (): void {
    add_options_page(
        'Frontdesk',
        'Frontdesk',
        'manage_options',
        FRONTDESK_PORTAL_PAGE,
        'frontdesk_portal_settings_page'
    );
});

add_action('admin_init', function (): void {
    register_setting(FRONTDESK_PORTAL_PAGE, FRONTDESK_PORTAL_OPTION, [
        'type' => 'array',
        'sanitize_callback' => 'frontdesk_portal_sanitize',
        'default' => [],
    ]);
    add_settings_section('keys', '', '__return_false', FRONTDESK_PORTAL_PAGE);
    $fields = [
        'host' => ['Frontdesk host', 'url', 'The address of your Frontdesk, e.g. https://portal.example.com.'],
        'publishable_key' => ['Publishable key', 'text', 'pk_..., in the snippet under Settings → '
            . 'Embedding in your Frontdesk dashboard. Safe to show.'],
        'secret_key' => ['Secret API key', 'password', 'sk_..., from Developers in your Frontdesk '
            . 'dashboard. Only needed to open the portal already signed in for WordPress users; '
            . 'never shown to visitors.'],
    ];
    foreach ($fields as $name => [$label, $type, $help]) {
        add_settings_field($name, $label, 'frontdesk_portal_field', FRONTDESK_PORTAL_PAGE, 'keys', [
            'label_for' => "frontdesk-portal-$name",
            'name' => $name,
            'type' => $type,
            'help' => $help,
        ]);
    }
});

/** @param array{label_for: string, name: string, type: string, help: string} $field */
function frontdesk_portal_field(array $field): void
{
    $name = $field['name'];
    $constant = 'FRONTDESK_' . strtoupper($name);
    $secret = $field['type'] === 'password';
    $saved = get_option(FRONTDESK_PORTAL_OPTION);
    $value = is_array($saved) && isset($saved[$name]) ? (string) $saved[$name] : '';
    if (defined($constant)) {
        printf(
            '<input id="%s" type="text" class="regular-text" value="%s" disabled>'
            . '<p class="description">Set by <code>%s</code> in wp-config.php, which wins over this page.</p>',
            esc_attr($field['label_for']),
            esc_attr($secret ? '••••••••' : frontdesk_portal_setting($name)),
            esc_html($constant)
        );
        return;
    }
    printf(
        '<input id="%s" name="%s[%s]" type="%s" class="regular-text" value="%s" autocomplete="off"%s>'
        . '<p class="description">%s</p>',
        esc_attr($field['label_for']),
        esc_attr(FRONTDESK_PORTAL_OPTION),
        esc_attr($name),
        esc_attr($field['type']),
        esc_attr($secret ? '' : $value),
        $secret && $value !== '' ? ' placeholder="saved: leave empty to keep it"' : '',
        esc_html($field['help'])
    );
}

/**
 * @param mixed $input
 * @return array<string, string>
 */
function frontdesk_portal_sanitize($input): array
{
    $input = is_array($input) ? $input : [];
    $saved = get_option(FRONTDESK_PORTAL_OPTION);
    $saved = is_array($saved) ? $saved : [];
    $clean = [];
    foreach (['host', 'publishable_key', 'secret_key'] as $name) {
        $clean[$name] = sanitize_text_field((string) ($input[$name] ?? ''));
        // A field set by a constant is not in the form, and the secret is never sent back to
        // the browser (left empty, it stays): either way what was saved stays.
        if (!isset($input[$name]) || ($name === 'secret_key' && $clean[$name] === '')) {
            $clean[$name] = (string) ($saved[$name] ?? '');
        }
    }
    $host = $clean['host'];
    if ($host !== '' && !preg_match('#^https?://#i', $host)) {
        $host = 'https://' . $host;
    }
    $clean['host'] = untrailingslashit(esc_url_raw($host, ['https', 'http']));
    if ($host !== '' && $clean['host'] === '') {
        add_settings_error(
            FRONTDESK_PORTAL_OPTION,
            'host',
            'The Frontdesk host must be an address like https://portal.example.com.'
        );
    }
    return $clean;
}

function frontdesk_portal_settings_page(): void
{
    if (!current_user_can('manage_options')) {
        return;
    }
    echo '<div class="wrap"><h1>Frontdesk</h1>';
    echo '<p>Put the shortcode <code>[frontdesk_portal]</code> on any page to show your customers '
        . 'their account.</p>';
    echo '<form action="options.php" method="post">';
    settings_fields(FRONTDESK_PORTAL_PAGE);
    do_settings_sections(FRONTDESK_PORTAL_PAGE);
    submit_button();
    echo '</form></div>';
}

add_action('admin_notices', function (): void {
    if (frontdesk_portal_configured() || !current_user_can('manage_options')) {
        return;
    }
    printf(
        '<div class="notice notice-warning"><p><strong>Frontdesk portal</strong> is not set up: '
        . 'until it has your Frontdesk host and publishable key, the [frontdesk_portal] shortcode '
        . 'shows nothing to visitors. <a href="%s">Set it up in Settings → Frontdesk</a>.</p></div>',
        esc_url(frontdesk_portal_settings_url())
    );
});

add_filter('plugin_action_links_' . plugin_basename(__FILE__), function (array $links): array {
    $settings = sprintf('<a href="%s">Settings</a>', esc_url(frontdesk_portal_settings_url()));
    array_unshift($links, $settings);
    return $links;
});
