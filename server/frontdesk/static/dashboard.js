// The dashboard's only script besides htmx (inline scripts are refused by its CSP): copy buttons,
// one more line row in the invoice editor, the theme editor and the theme gallery.
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

// The theme editor's preview (and its link to the gallery) follows the form as it is edited
// (the logo shows once published).
var previewTimer;
document.addEventListener('input', function (event) {
  var form = event.target.form;
  if (!form || !form.dataset.preview) return;
  followColours(event.target);
  clearTimeout(previewTimer);
  previewTimer = setTimeout(function () {
    var query = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (typeof value === 'string' && name !== 'csrf_token') query.append(name, value);
    });
    document.querySelector(form.dataset.preview).src = form.dataset.previewUrl + '?' + query;
    var gallery = document.querySelector('[data-gallery]');
    if (gallery) gallery.href = gallery.dataset.gallery + '?' + query;
  }, 300);
});

// Each colour picker and its hex field follow each other; an empty field's picker shows the
// pack's value (its placeholder), and choosing another pack brings that pack's placeholders.
function asPickerColour(text) {
  var hex = (text || '').trim().toLowerCase();
  if (/^#[0-9a-f]{6}$/.test(hex)) return hex;
  if (/^#[0-9a-f]{3}$/.test(hex)) return '#' + hex[1] + hex[1] + hex[2] + hex[2] + hex[3] + hex[3];
  return '';
}
function followColours(field) {
  if (field.dataset.colourFor) {
    document.getElementById(field.dataset.colourFor).value = field.value;
  } else if (field.dataset.picker) {
    var colour = asPickerColour(field.value) || asPickerColour(field.placeholder);
    if (colour) document.getElementById(field.dataset.picker).value = colour;
  } else if (field.name === 'theme' && field.selectedOptions[0].dataset.values) {
    var values = JSON.parse(field.selectedOptions[0].dataset.values);
    field.form.querySelectorAll('input[name]').forEach(function (input) {
      if (!(input.name in values)) return;
      input.placeholder = values[input.name];
      if (input.dataset.picker) followColours(input);
    });
  }
}

// The gallery: each frame grows to its content, so every state shows whole (frames load before
// or after this script runs).
function fit(frame) {
  // The root's own box: its scrollHeight would never be less than the frame's current height.
  var page = frame.contentDocument && frame.contentDocument.documentElement;
  if (page) frame.style.height = Math.ceil(page.getBoundingClientRect().height) + 2 + 'px';
}
document.querySelectorAll('iframe[data-fit]').forEach(function (frame) {
  if (frame.contentDocument && frame.contentDocument.readyState === 'complete') fit(frame);
});
document.addEventListener('load', function (event) {
  if (event.target.matches && event.target.matches('iframe[data-fit]')) fit(event.target);
}, true);

// `frontdesk theme serve`: the gallery reloads when its theme file is saved.
var watched = document.querySelector('[data-reload-url]');
if (watched) {
  setInterval(function () {
    fetch(watched.dataset.reloadUrl, { cache: 'no-store' }).then(function (answer) {
      return answer.ok ? answer.text() : watched.dataset.reloadVersion;
    }).then(function (version) {
      if (version !== watched.dataset.reloadVersion) location.reload();
    }, function () { /* the server is restarting: ask again next time */ });
  }, 1000);
}
