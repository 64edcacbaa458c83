(function () {
  'use strict';
  function answer(passed) { window.parent.postMessage({ stripeSandbox: '3ds', passed: passed }, '*'); }
  document.getElementById('pass').onclick = function () { answer(true); };
  document.getElementById('fail').onclick = function () { answer(false); };
})();
