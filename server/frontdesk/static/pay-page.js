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

/* A PayPal payment: PayPal's buttons approve the order our server made; our server captures. A
   decline shows PayPal's reason and the buttons start again, on the same order. */
(function () {
  'use strict';
  var mount = document.getElementById('paypal-buttons');
  if (!mount) return;
  var data = mount.dataset, problem = document.getElementById('problem');
  function finish(id) {
    mount.hidden = true;
    problem.textContent = '';
    document.getElementById(id).hidden = false;
    setTimeout(function () { window.close(); }, 1500);
  }
  function render() {
    mount.replaceChildren();
    window.paypal.Buttons({
      createOrder: function () { return data.order; },
      onApprove: function () {
        return fetch(data.capture, { method: 'POST' })
          .then(function (r) { return r.json(); })
          .then(function (answer) {
            if (answer.status === 'succeeded') return finish('done');
            if (answer.status === 'processing') return finish('processing');
            problem.textContent = answer.message || 'This payment did not go through. Please try again.';
            render();
          }, function () { problem.textContent = 'We could not reach PayPal. Please try again.'; });
      },
      onError: function () { problem.textContent = 'PayPal could not start. Please try again.'; }
    }).render(mount);
  }
  var tag = document.createElement('script');
  tag.src = data.sdk;
  tag.onload = render;
  tag.onerror = function () { problem.textContent = 'PayPal could not load. Please try again.'; };
  document.head.appendChild(tag);
})();
