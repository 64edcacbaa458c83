// The dashboard's only script besides htmx (inline scripts are refused by its CSP): copy buttons,
// and one more line row in the invoice editor.
document.addEventListener('click', function (event) {
  var copy = event.target.closest('[data-copy]');
  if (copy) {
    var field = document.querySelector(copy.dataset.copy);
    navigator.clipboard.writeText(field.value).then(function () {
      copy.textContent = 'Copied';
      setTimeout(function () { copy.textContent = 'Copy'; }, 1500);
    }, function () { field.select(); });
  }
  var add = event.target.closest('[data-add-row]');
  if (add) {
    var rows = document.querySelector(add.dataset.addRow);
    var row = rows.lastElementChild.cloneNode(true);
    row.querySelectorAll('input').forEach(function (input) {
      input.value = input.name === 'quantity' ? '1' : '';
      input.removeAttribute('aria-invalid');
    });
    rows.appendChild(row);
    row.querySelector('input').focus();
  }
});

// The theme editor's preview follows the form as it is edited (the logo shows once published).
var previewTimer;
document.addEventListener('input', function (event) {
  var form = event.target.form;
  if (!form || !form.dataset.preview) return;
  clearTimeout(previewTimer);
  previewTimer = setTimeout(function () {
    var query = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (typeof value === 'string' && name !== 'csrf_token') query.append(name, value);
    });
    document.querySelector(form.dataset.preview).src = form.dataset.previewUrl + '?' + query;
  }, 300);
});
