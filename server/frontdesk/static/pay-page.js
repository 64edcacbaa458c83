/* The secure pay page: the same Payment Element as the portal, on a page of ours with a strict
   Content-Security-Policy, opened in its own window. The portal follows the outcome itself. */
(function () {
  'use strict';
  var page = document.getElementById('pay-page');
  var button = document.getElementById('pay');
  if (!button) return;
  var data = page.dataset, problem = document.getElementById('problem');
  var tag = document.createElement('script');
  tag.src = data.stripeJs;
  tag.onload = function () {
    var stripe = window.Stripe(data.key, { stripeAccount: data.account });
    var elements = stripe.elements({ clientSecret: data.secret });
    elements.create('payment').mount('#payment-element');
    button.disabled = false;
    button.onclick = function () {
      button.disabled = true;
      problem.textContent = '';
      stripe.confirmPayment({ elements: elements, redirect: 'if_required' }).then(function (result) {
        if (result.error) {
          // The card's own problems in the processor's words; anything else in ours.
          problem.textContent = /^(card|validation)_error$/.test(result.error.type) ? result.error.message
            : 'This payment could not go through and nothing was charged. Close this window and try again.';
          button.disabled = false;
          return;
        }
        button.hidden = true;
        document.getElementById('payment-element').hidden = true;
        document.getElementById('done').hidden = false;
        setTimeout(function () { window.close(); }, 1500);
      });
    };
  };
  tag.onerror = function () { problem.textContent = 'The secure card form could not load. Please try again.'; };
  document.head.appendChild(tag);
})();
