/* Inside the card frame: on the parent's request, create a PaymentMethod from the typed card. */
(function () {
  'use strict';
  var form = document.getElementById('card');
  var problem = document.getElementById('problem');
  try {
    var look = JSON.parse(decodeURIComponent(location.hash.slice(1)) || '{}').variables || {};
    if (look.colorPrimary) document.documentElement.style.setProperty('--accent', look.colorPrimary);
    if (look.fontFamily) document.documentElement.style.setProperty('--font', look.fontFamily);
    if (look.borderRadius) document.documentElement.style.setProperty('--radius', look.borderRadius);
  } catch (e) {}
  form.addEventListener('change', function () {
    var bank = form.type.value === 'us_bank_account';
    document.getElementById('card-fields').hidden = bank;
    document.getElementById('bank-fields').hidden = !bank;
  });
  window.addEventListener('message', function (e) {
    if (e.source !== window.parent || !e.data || e.data.stripeSandbox !== 'tokenise') return;
    var expiry = form.expiry.value.split('/').map(function (s) { return s.trim(); });
    var body = form.type.value === 'us_bank_account' ? new URLSearchParams({
      type: 'us_bank_account',
      'us_bank_account[routing_number]': form.routing.value.trim(),
      'us_bank_account[account_number]': form.account.value.trim()
    }) : new URLSearchParams({
      type: 'card',
      'card[number]': form.number.value.replace(/\s/g, ''),
      'card[exp_month]': expiry[0] || '',
      'card[exp_year]': expiry[1] ? '20' + expiry[1].slice(-2) : '',
      'card[cvc]': form.cvc.value
    });
    var headers = { Authorization: 'Bearer ' + e.data.key, 'Content-Type': 'application/x-www-form-urlencoded' };
    if (e.data.account) headers['Stripe-Account'] = e.data.account;
    fetch('/v1/payment_methods', { method: 'POST', headers: headers, body: body })
      .then(function (r) { return r.json(); })
      .then(function (result) {
        problem.textContent = result.error ? result.error.message : '';
        e.source.postMessage(result.error ? { stripeSandbox: 'pm', error: result.error } : { stripeSandbox: 'pm', id: result.id }, e.origin);
      });
  });
})();
