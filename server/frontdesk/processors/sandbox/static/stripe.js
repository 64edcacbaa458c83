/* A stand-in for Stripe.js v3, served by the Frontdesk Stripe sandbox. It implements the calls
   Frontdesk makes: Stripe(), elements(), create('payment'), mount(), confirmPayment(),
   confirmSetup() and handleNextAction(). As with the real thing, card fields live in an iframe on the processor's
   origin, so the embedding page never sees a card number; 3-D Secure opens the bank's page. */
(function () {
  'use strict';
  var BASE = new URL(document.currentScript.src).origin;

  function api(group, method, path, params) {
    var headers = { Authorization: 'Bearer ' + group.key };
    if (group.account) headers['Stripe-Account'] = group.account;
    var init = { method: method, headers: headers };
    if (method === 'POST') {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      init.body = new URLSearchParams(params);
    } else if (params) {
      path += '?' + new URLSearchParams(params);
    }
    return fetch(BASE + path, init).then(function (r) { return r.json(); });
  }

  function intentPath(secret) {
    var id = secret.split('_secret_')[0];
    return (id.indexOf('seti_') === 0 ? '/v1/setup_intents/' : '/v1/payment_intents/') + id;
  }

  function ask(frame, message, kind) {
    // One round trip to one of our frames; only answers from that frame on our origin count.
    return new Promise(function (resolve) {
      window.addEventListener('message', function answer(e) {
        if (e.origin !== BASE || e.source !== frame.contentWindow || !e.data || e.data.stripeSandbox !== kind) return;
        window.removeEventListener('message', answer);
        resolve(e.data);
      });
      if (message) frame.contentWindow.postMessage(message, BASE);
    });
  }

  function authenticate(group, intent, secret) {
    var veil = document.createElement('div');
    veil.setAttribute('data-stripe-sandbox', '3ds');
    veil.style.cssText = 'position:fixed;inset:0;background:rgba(0,0,0,.45);display:flex;' +
      'align-items:center;justify-content:center;z-index:2147483647';
    var frame = document.createElement('iframe');
    frame.title = '3D Secure authentication';
    frame.src = BASE + '/v3/three-d-secure.html';
    frame.style.cssText = 'width:380px;height:260px;border:0;border-radius:8px;background:#fff';
    veil.appendChild(frame);
    document.body.appendChild(veil);
    return ask(frame, null, '3ds').then(function (answer) {
      veil.remove();
      return api(group, 'POST', intentPath(secret) + '/sandbox_authenticate',
        { client_secret: secret, result: answer.passed ? 'pass' : 'fail' });
    });
  }

  function outcome(group, intent, secret) {
    if (intent.error) return { error: intent.error };
    if (intent.status === 'requires_action') {
      return authenticate(group, intent, secret).then(function (after) { return outcome(group, after, secret); });
    }
    var failed = intent.last_payment_error || intent.last_setup_error;
    if (failed && intent.status === 'requires_payment_method') return { error: failed };
    return intent.object === 'setup_intent' ? { setupIntent: intent } : { paymentIntent: intent };
  }

  function confirmWith(group, args) {
    var secret = args.clientSecret || group.clientSecret;
    return ask(group.frame, { stripeSandbox: 'tokenise', key: group.key, account: group.account }, 'pm')
      .then(function (method) {
        if (method.error) return { error: method.error };
        return api(group, 'POST', intentPath(secret) + '/confirm', { client_secret: secret, payment_method: method.id })
          .then(function (intent) { return outcome(group, intent, secret); });
      });
  }

  window.Stripe = function (key, options) {
    var group = { key: key, account: options && options.stripeAccount, frame: null };
    return {
      elements: function (settings) {
        group.clientSecret = settings && settings.clientSecret;
        group.appearance = (settings && settings.appearance) || {};
        return {
          create: function (type) {
            if (type !== 'payment') throw new Error('The sandbox implements the payment element only.');
            return {
              mount: function (target) {
                var node = typeof target === 'string' ? document.querySelector(target) : target;
                if (!node || !node.isConnected) throw new Error('IntegrationError: mount into an element in the document.');
                if (node.getRootNode() !== document) {
                  throw new Error('IntegrationError: Elements cannot be mounted in a ShadowRoot. Please mount in the Light DOM.');
                }
                var frame = document.createElement('iframe');
                frame.title = 'Secure payment input frame';
                frame.setAttribute('allow', 'payment *');
                frame.src = BASE + '/v3/payment-element.html#' + encodeURIComponent(JSON.stringify(group.appearance));
                frame.style.cssText = 'width:100%;height:290px;border:0;display:block';
                node.replaceChildren(frame);
                group.frame = frame;
              },
              unmount: function () { if (group.frame) group.frame.remove(); }
            };
          }
        };
      },
      confirmPayment: function (args) { return confirmWith(group, args); },
      confirmSetup: function (args) { return confirmWith(group, args); },
      handleNextAction: function (args) {
        return api(group, 'GET', intentPath(args.clientSecret), { client_secret: args.clientSecret })
          .then(function (intent) { return outcome(group, intent, args.clientSecret); });
      }
    };
  };
})();
