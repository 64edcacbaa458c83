<?php
// Check a Frontdesk webhook before trusting it (PHP 7.4+, no dependencies).
//
//   $body = file_get_contents('php://input');   // the raw body, before json_decode
//   $header = $_SERVER['HTTP_FRONTDESK_SIGNATURE'] ?? '';
//   if (!frontdesk_verify_webhook($body, $header, getenv('FRONTDESK_WEBHOOK_SECRET'))) {
//       http_response_code(400); exit('bad signature');
//   }
//   $event = json_decode($body, true);          // then skip it if you already handled $event['id']

const FRONTDESK_TOLERANCE_SECONDS = 300;

function frontdesk_verify_webhook(string $body, string $header, string $secret, ?int $now = null): bool
{
    $parts = [];
    foreach (explode(',', $header) as $item) {
        $pair = explode('=', $item, 2);
        if (count($pair) === 2) {
            $parts[$pair[0]] = $pair[1];
        }
    }
    $t = $parts['t'] ?? '';
    $v1 = $parts['v1'] ?? '';
    if (!ctype_digit($t) || $v1 === '') {
        return false;
    }
    // An old delivery replayed, or a clock far off.
    if (abs(($now ?? time()) - (int) $t) > FRONTDESK_TOLERANCE_SECONDS) {
        return false;
    }
    $expected = hash_hmac('sha256', $t . '.' . $body, $secret);
    return hash_equals($expected, $v1);
}
