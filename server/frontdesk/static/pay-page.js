/* The secure pay page: the same Payment Element as the portal, on a page of ours with a strict
   Content-Security-Policy, opened in its own window. The portal follows the outcome itself.
   What it says comes from the page (data-* attributes), in the customer's language. */
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
            : button.dataset.failed;
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
  tag.onerror = function () { problem.textContent = button.dataset.unloaded; };
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
            problem.textContent = answer.message || data.declined;
            render();
          }, function () { problem.textContent = data.unreachable; });
      },
      onError: function () { problem.textContent = data.unstarted; }
    }).render(mount);
  }
  var tag = document.createElement('script');
  tag.src = data.sdk;
  tag.onload = render;
  tag.onerror = function () { problem.textContent = data.unloaded; };
  document.head.appendChild(tag);
})();
