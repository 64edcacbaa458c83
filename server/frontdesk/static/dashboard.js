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
