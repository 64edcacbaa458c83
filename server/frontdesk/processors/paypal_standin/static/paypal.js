/* A stand-in for PayPal's JavaScript SDK (www.paypal.com/sdk/js), served by Frontdesk's PayPal
   stand-in at /sdk/js. It implements what Frontdesk calls:
   paypal.Buttons({createOrder, onApprove, onError, onCancel}).render(container) and, in
   onApprove, actions.restart(). As with PayPal, the payer approves in a window on the stand-in's
   origin, which reports back with postMessage; only messages from that window count. */
(function () {
  'use strict';
  if (window.paypal && window.paypal.Buttons) return;
  var src = new URL(document.currentScript.src);
  var ORIGIN = src.origin;
  var BASE = ORIGIN + src.pathname.replace(/\/sdk\/js$/, '');

  function waitForAnswer(popup, orderID) {
    return new Promise(function (resolve) {
      var done = false;
      function finish(answer) {
        if (done) return;
        done = true;
        window.removeEventListener('message', onMessage);
        clearInterval(timer);
        resolve(answer);
      }
      function onMessage(e) {
        if (e.origin !== ORIGIN || e.source !== popup || !e.data || !e.data.paypalStandin) return;
        finish(e.data);
      }
      window.addEventListener('message', onMessage);
      // A window closed without an answer is a cancel (after a moment: its message may be on its way).
      var timer = setInterval(function () {
        if (popup.closed) setTimeout(function () { finish({ paypalStandin: 'cancel', orderID: orderID }); }, 300);
      }, 250);
    });
  }

  function Buttons(options) {
    var restartWith = null;  // after actions.restart(): the next click approves the same order again
    var button = null;
    var wrapper = null;

    function fail(error) {
      if (options.onError) options.onError(error);
      else if (window.console) console.error(error);
    }

    function approve(popup, orderID) {
      popup.location.href = BASE + '/checkoutnow?' + new URLSearchParams({ token: orderID, origin: location.origin });
      return waitForAnswer(popup, orderID).then(function (answer) {
        if (answer.paypalStandin !== 'approve') {
          if (options.onCancel) options.onCancel({ orderID: orderID });
          return;
        }
        var actions = {
          restart: function () { restartWith = orderID; return Promise.resolve(); }
        };
        return options.onApprove({ orderID: orderID, payerID: answer.payerID }, actions);
      });
    }

    function start() {
      // Opened now, in the click, so no pop-up blocker stops it; the order's address follows.
      var popup = window.open('', 'paypal-standin', 'width=480,height=640');
      if (!popup) return fail(new Error('The PayPal window was blocked.'));
      var again = restartWith;
      restartWith = null;
      Promise.resolve(again || (options.createOrder ? options.createOrder({}, {}) : null))
        .then(function (orderID) {
          if (!orderID) throw new Error('createOrder gave no order id.');
          return approve(popup, orderID);
        })
        .catch(function (error) {
          if (!popup.closed) popup.close();
          fail(error);
        });
    }

    return {
      isEligible: function () { return true; },
      render: function (container) {
        var host = typeof container === 'string' ? document.querySelector(container) : container;
        if (!host) return Promise.reject(new Error('No container to render the PayPal button in.'));
        // PayPal's own buttons live in an iframe, out of the host page's styles; a shadow root
        // keeps the stand-in's as apart (a site's own button rules would otherwise restyle it).
        wrapper = document.createElement('div');
        var root = wrapper.attachShadow({ mode: 'open' });
        button = document.createElement('button');
        button.type = 'button';
        button.textContent = 'PayPal';
        button.setAttribute('data-paypal-standin', 'button');
        button.style.cssText = 'all:initial;box-sizing:border-box;display:block;width:100%;' +
          'min-height:45px;border-radius:4px;text-align:center;background:#ffc439;color:#003087;' +
          'font:700 18px/45px system-ui,sans-serif;cursor:pointer';
        button.addEventListener('click', start);
        root.appendChild(button);
        host.appendChild(wrapper);
        return Promise.resolve();
      },
      close: function () {
        if (wrapper) wrapper.remove();
        return Promise.resolve();
      }
    };
  }

  window.paypal = { Buttons: Buttons, version: 'frontdesk-standin' };
})();
