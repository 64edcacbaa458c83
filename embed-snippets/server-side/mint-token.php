<?php
// Mint a portal token for a customer who is signed in on your site (PHP 8, curl).
//   <frontdesk-portal business="pk_..." token="<?= htmlspecialchars(portal_token($user->id)) ?>">
//   </frontdesk-portal>

function portal_token(string $yourCustomerId): string
{
    $customer = rawurlencode('external:' . $yourCustomerId);
    $curl = curl_init(getenv('FRONTDESK_HOST') . "/api/v1/customers/{$customer}/portal-sessions");
    curl_setopt_array($curl, [
        CURLOPT_POST => true,
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_TIMEOUT => 5,
        CURLOPT_HTTPHEADER => ['Authorization: Bearer ' . getenv('FRONTDESK_SECRET_KEY')],
    ]);
    $body = curl_exec($curl);
    $status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
    curl_close($curl);
    if ($status !== 201) {
        throw new RuntimeException("Frontdesk answered {$status}");
    }
    return json_decode($body, true)['token'];
}
