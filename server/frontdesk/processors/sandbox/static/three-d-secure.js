(function () {
  'use strict';
  function answer(passed) { window.parent.postMessage({ stripeSandbox: '3ds', passed: passed }, '*'); }
  document.getElementById('pass').onclick = function () { answer(true); };
  document.getElementById('fail').onclick = function () { answer(false); };
  // Closing the bank's window, as with Stripe's, ends this authentication unanswered.
  document.getElementById('close').onclick = function () { answer(false); };
})();
