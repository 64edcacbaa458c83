/* The approval window's last step: tell the page that opened it (only its origin) what the payer
   chose, then close, as PayPal's popup does. */
(function () {
  'use strict';
  var result = document.getElementById('result').dataset;
  if (window.opener && result.origin) {
    window.opener.postMessage(
      { paypalStandin: result.result, orderID: result.order, payerID: result.payer },
      result.origin
    );
  }
  setTimeout(function () { window.close(); }, 50);
})();
