// Frontdesk loader: defines <frontdesk-portal>, a customer portal living in its own shadow root,
// driven by a private htmx (frontdeskHtmx, bundled before this file by build.mjs). Everything that
// touches the host page is guarded so the host never sees an exception of ours.
'use strict';
var w = window, d = document, script = d.currentScript;
var ORIGIN = new URL(script ? script.src : location.href).origin;
var htmx = frontdeskHtmx();
var sheets = {};
var linkToken = takeLinkToken();
var bootToken = null;

// Before the theme arrives: isolate from the host's CSS and show status text plainly.
var base = new CSSStyleSheet();
base.replaceSync(':host{all:initial;display:block;font:16px/1.5 system-ui,sans-serif;color:#1d2430}' +
  '.fd-status{padding:1.5em;text-align:center}.fd-status button{font:inherit;margin-top:.75em}');

function takeLinkToken() {
  // A link from an email carries its token in the fragment (never sent to the host's server);
  // it leaves the address bar before any request, since htmx would report the URL.
  var m = /(^#|&)frontdesk=([^&]*)/.exec(location.hash);
  if (!m) return null;
  try {
    var rest = location.hash.slice(1).split('&').filter(function (p) { return p.indexOf('frontdesk=') !== 0; }).join('&');
    history.replaceState(history.state, '', location.pathname + location.search + (rest ? '#' + rest : ''));
  } catch (e) {}
  return decodeURIComponent(m[2]);
}

function url(el, path) {
  return ORIGIN + '/portal/' + encodeURIComponent(el.getAttribute('business') || '') + path;
}

function say(el, text, retry) {
  var p = d.createElement('p');
  p.className = 'fd-status';
  p.setAttribute('role', 'status');
  p.textContent = text;
  if (retry) {
    var b = d.createElement('button');
    b.type = 'button';
    b.setAttribute('part', 'button');
    b.textContent = 'Try again';
    b.onclick = function () { start(el); };
    p.append(d.createElement('br'), b);
  }
  el.frame.replaceChildren(p);
}

function show(el, html) {
  el.frame.innerHTML = html;
  signedOut(el);
  learn(el);
  el.view = place(el) || 'home';
  htmx.process(el.frame);
  payment(el);
  tell(el, 'ready', { kind: 'portal', id: el.getAttribute('business'), status: el.customer ? 'signed-in' : 'signed-out' });
}

function learn(el) {
  // The shell brings the server's table of views and whom the events name: nobody in the
  // business's read-only look from its dashboard, where the element tells the page nothing.
  var shell = el.frame.querySelector('[data-deep-links]');
  if (!shell) return;
  el.deepLinks = new RegExp(shell.dataset.deepLinks);
  el.customer = shell.dataset.fdCustomer;
  el.quiet = !el.customer;
}

// Events to the host page (embed-snippets/README.md): the documented shape, from the element
// itself, each id once per page (several paths can show the same payment's outcome).
var seen = {};

function tell(el, type, object, from) {
  from = from || {};
  var id = from.id || 'evt_' + Array.from(crypto.getRandomValues(new Uint8Array(16)), function (b) {
    return (b | 256).toString(16).slice(1);
  }).join('');
  if (el.quiet || seen[id]) return;
  seen[id] = 1;
  var detail = {
    v: 1, id: id, type: type, created: from.created || new Date().toISOString(),
    business: el.getAttribute('business'), customer: from.customer || el.customer || null, object: object
  };
  // The colon names are deprecated aliases for one release: React cannot bind them.
  ['frontdesk-' + type].concat(/^(ready|session-expired|signed-out)$/.test(type) ? 'frontdesk:' + type : [])
    .forEach(function (name) { el.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true, detail: detail })); });
}

function relay(el, headers) {
  // The server names what the customer did in HX-Trigger. It is read here, not heard as htmx's
  // events: htmx fires those after the swap on the element that asked, or on the document once
  // that element has been swapped away, so they would miss this element.
  try {
    (JSON.parse(headers.get('HX-Trigger') || '{}')['fd:events'] || []).forEach(function (x) { tell(el, x.type, x.object, x); });
  } catch (e) {}
}

function keep(el, headers) {
  var token = headers.get('Frontdesk-Session');
  if (token) {
    el.session = token;
    el.out = false;
  }
}

function signedOut(el) {
  // After "Sign out" the page's own token, the boot token and token-url are not used again
  // until the page loads anew (or the host gives a new token): the next person at this
  // computer gets the email sign-in, not the last person's account.
  if (!el.frame.querySelector('[data-fd-signed-out]')) return;
  el.session = null;
  el.out = true;
  if (el.customer) tell(el, 'signed-out', { kind: 'customer', id: el.customer });
  el.customer = null;
}

function style(el) {
  var key = el.getAttribute('business');
  sheets[key] = sheets[key] || fetch(url(el, '/portal.css'), { mode: 'cors', credentials: 'omit' })
    .then(function (r) { return r.ok ? r.text() : ''; }, function () { return ''; })
    .then(function (css) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      // @font-face does not register inside a shadow root, so fonts go to the document.
      var faces = css.match(/@font-face\s*{[^}]*}/g);
      if (faces) {
        var fonts = new CSSStyleSheet();
        fonts.replaceSync(faces.join('\n'));
        d.adoptedStyleSheets = d.adoptedStyleSheets.concat(fonts);
      }
      return sheet;
    });
  return sheets[key];
}

function start(el) {
  clearTimeout(el.retry);
  // A link the customer just followed (an email) says where to go, so it comes first.
  if (el.out) return open(el, 'GET', '/sign-in');
  var token = linkToken || el.getAttribute('token') || bootToken;
  linkToken = null;
  if (token) return exchange(el, token);
  var from = el.getAttribute('token-url');
  if (from) {
    return fetch(from, { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : ''; })
      .then(function (t) { return t ? exchange(el, t.trim()) : open(el, 'GET', '/sign-in'); },
        function () { unreachable(el); });
  }
  return open(el, 'GET', '/sign-in');
}

// Before the portal's shell arrives, any hash shaped like a view goes to the server, which
// opens it or home; the shell then brings the server's table of views (data-deep-links), so
// the host's own anchors (#contact) never move the portal.
var anyView = /^#([\w-]+(\/[\w.~%-]+)?)$/;

function place(el) {
  var m = (el.deepLinks || anyView).exec(location.hash);
  return m && m[1];
}

function zone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (x) { return ''; }
}

function exchange(el, token) {
  var view = place(el);
  // The zone rides in the body: a header would cost the first view a CORS preflight.
  return open(el, 'POST', '/session', 'token=' + encodeURIComponent(token) + (view ? '&view=' + encodeURIComponent(view) : '') + '&zone=' + encodeURIComponent(zone()));
}

function open(el, method, path, body) {
  // The snippet's lang, for the first view (its later requests carry it in a header).
  var lang = el.lang && 'lang=' + encodeURIComponent(el.lang);
  if (lang) body ? body += '&' + lang : path += '?' + lang;
  // A form-encoded POST without custom headers needs no CORS preflight: one round trip.
  var request = fetch(url(el, path), {
    method: method, mode: 'cors', credentials: 'omit', body: body,
    headers: body ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}
  });
  return Promise.all([request, style(el)]).then(function (both) {
    var r = both[0];
    el.shadowRoot.adoptedStyleSheets = [base, both[1]];
    keep(el, r.headers);
    el.failures = 0;
    return r.text().then(function (html) {
      show(el, html);
      relay(el, r.headers);
    });
  }, function () { unreachable(el); });
}

function unreachable(el) {
  // A refused origin looks like a network error to fetch; this public check tells them apart.
  fetch(url(el, '/origin-check'), { mode: 'cors', credentials: 'omit' })
    .then(function (r) { return r.json(); })
    .then(function (answer) {
      if (answer.allowed) throw 0;
      say(el, answer.message || 'This account portal is not available on this website.');
    })
    .catch(function () {
      el.failures = (el.failures || 0) + 1;
      say(el, 'We can\u2019t reach your account right now. We\u2019ll keep trying.', true);
      el.retry = setTimeout(function () { start(el); }, Math.min(30000, 1000 * Math.pow(2, el.failures)));
    });
}

function configure(e) {
  var request = e.detail.ctx.request, el = e.currentTarget;
  // Only our own origin is widened to CORS and gets the token; anything else is refused.
  if (String(request.action).indexOf(ORIGIN + '/') !== 0) return e.preventDefault();
  request.mode = 'cors';
  request.credentials = 'omit';
  request.headers.Authorization = 'Bearer ' + el.session;
  delete request.headers['HX-Current-URL'];
  // Where the customer is: times are shown in it, and a signature's record keeps it.
  request.headers['Frontdesk-Time-Zone'] = zone();
  if (el.lang) request.headers['Frontdesk-Language'] = el.lang;
}

function answered(e) {
  var el = e.currentTarget, ctx = e.detail.ctx, response = ctx.response, status = response.status, going = el.going;
  el.going = null;
  keep(el, response.headers);
  relay(el, response.headers);
  delete ctx.hx.trigger; // told already; htmx would fire it again
  if (status === 401) {
    tell(el, 'session-expired', { kind: 'customer', id: el.customer || '' });
    if (el.getAttribute('token-url') || el.getAttribute('token') || bootToken) {
      e.preventDefault();
      start(el);
    }
  } else if (status >= 400 && status !== 422) { // 422: the form again, with what to fix
    tell(el, 'error', { kind: 'request', id: response.headers.get('X-Request-ID') || '', status: '' + status });
  } else if (going && going !== el.view) {
    tell(el, 'view-changed', { kind: 'view', id: el.view = going });
  }
}

var scriptReady = {};

function load(src) {
  // Stripe's or PayPal's script, only when a customer reaches its step: never on first paint.
  return scriptReady[src] = scriptReady[src] || new Promise(function (resolve, reject) {
    var tag = d.createElement('script');
    tag.src = src;
    tag.onload = resolve;
    tag.onerror = reject;
    d.head.appendChild(tag);
  });
}

function follow(el) {
  // The secure pay page runs in its own window; the portal asks our server until it is settled.
  var opener = el.shadowRoot.querySelector('[data-fd-popup]');
  if (opener && !opener.onclick) {
    opener.onclick = function () {
      w.open(opener.dataset.fdPopup, 'frontdesk-pay', 'popup,width=480,height=760');
      ask(opener.closest('section'), opener.dataset.result);
    };
  }
  var wait = el.shadowRoot.querySelector('[data-fd-wait]');
  if (wait && !wait.asked) {
    wait.asked = true;
    ask(wait.closest('section'), wait.dataset.result);
  }
}

function ask(section, result) {
  setTimeout(function () {
    if (section.isConnected) htmx.ajax('GET', result, { source: section, target: section, swap: 'outerHTML' });
  }, 2000);
}

// The processor's wording for the card's own problems is for the customer; anything else
// (a payment that moved on in another tab, a state) is ours to say plainly. Our words come with
// the fragment, on its error line (data-failed, data-unloaded, ...), in the customer's language:
// the loader carries none of its own past the first contact (bench/weight.py's 4 KiB).
function said(problem, error) {
  return /^(card|validation)_error$/.test(problem.type) ? problem.message
    : error.dataset.failed;
}

function paypal(el) {
  var step = el.shadowRoot.querySelector('[data-fd-paypal]');
  var mount = el.querySelector('[slot=paypal]');
  if (mount && (!step || !step.mounted)) mount.remove();
  if (!step || step.mounted) return;
  step.mounted = true;
  var form = step.closest('form'), error = step.querySelector('[data-fd-error]');
  var fail = function (message) { error.textContent = message; };
  load(step.dataset.sdk).then(function () {
    // PayPal's buttons break inside a shadow root as Stripe's fields do: a light-DOM child of
    // the element, shown through the step's <slot name="paypal">.
    mount = d.createElement('div');
    mount.slot = 'paypal';
    el.appendChild(mount);
    return w.paypal.Buttons({
      // The server works out the order's amount from what the form names; the answer is its id.
      createOrder: function () {
        return fetch(step.dataset.order, {
          method: 'POST', mode: 'cors', credentials: 'omit', body: new URLSearchParams(new FormData(form)),
          headers: { Authorization: 'Bearer ' + el.session }
        }).then(function (r) {
          keep(el, r.headers);
          return r.json().catch(function () { return {}; });
        }).then(function (answer) {
          if (!answer.id) throw new Error(answer.error || error.dataset.unstarted);
          return answer.id;
        });
      },
      // Our server captures; its answer (paid, processing, or the step again) replaces the step.
      onApprove: function (approved) {
        form.elements.order.value = approved.orderID;
        htmx.trigger(step.querySelector('[data-fd-paypal-capture]'), 'fd-approved');
      },
      onError: function (e) { fail(e.message || error.dataset.unstarted); }
    }).render(mount);
  }).catch(function () { fail(error.dataset.unloaded); });
}

function payment(el) {
  follow(el);
  paypal(el);
  var step = el.shadowRoot.querySelector('[data-fd-pay]');
  var mount = el.querySelector('[slot=payment]');
  if (mount && (!step || !step.mounted)) mount.remove();
  if (!step || step.mounted) return;
  step.mounted = true;
  var data = step.dataset, error = step.querySelector('[data-fd-error]');
  var done = function () { htmx.ajax('GET', data.result, { source: step, target: step, swap: 'outerHTML' }); };
  load(data.stripeJs).then(function () {
    var stripe = w.Stripe(data.key, { stripeAccount: data.account });
    // A saved card's bank asks for 3-D Secure: Stripe.js opens the bank's window.
    if ('fdNext' in data) return stripe.handleNextAction({ clientSecret: data.secret }).then(done);
    // Stripe refuses to mount inside a shadow root: the fields live in a light-DOM child of the
    // element, shown through the step's <slot name="payment">.
    mount = d.createElement('div');
    mount.slot = 'payment';
    el.appendChild(mount);
    var look = getComputedStyle(step), button = step.querySelector('[data-fd-confirm]');
    var elements = stripe.elements({ clientSecret: data.secret, appearance: { variables: {
      colorPrimary: look.getPropertyValue('--fd-accent').trim(),
      fontFamily: look.getPropertyValue('--fd-font').trim(),
      borderRadius: look.getPropertyValue('--fd-radius').trim()
    } } });
    elements.create('payment').mount(mount);
    button.disabled = false;
    button.onclick = function () {
      button.disabled = true;
      error.textContent = '';
      var confirm = 'fdSetup' in data ? stripe.confirmSetup : stripe.confirmPayment;
      confirm.call(stripe, { elements: elements, redirect: 'if_required' }).then(function (result) {
        if (result.error) {
          error.textContent = said(result.error, error);
          button.disabled = false;
          // Declined: the server asks the processor itself, then tells the host page.
          if (result.error.type === 'card_error' && !('fdSetup' in data)) htmx.ajax('GET', data.result, { source: step, swap: 'none' });
          return;
        }
        mount.remove();
        done();
      });
    };
  }, function () { error.textContent = error.dataset.unloaded; });
}

class FrontdeskPortal extends HTMLElement {
  static get observedAttributes() { return ['token']; }

  connectedCallback() {
    if (this.shadowRoot) return;
    var root = this.attachShadow({ mode: 'open' });
    root.adoptedStyleSheets = [base];
    root.innerHTML = '<div part="frame" class="fd-frame" aria-live="polite"></div><slot name="payment"></slot>';
    this.frame = root.firstChild;
    this.addEventListener('htmx:config:request', configure);
    this.addEventListener('htmx:after:request', answered);
    this.addEventListener('htmx:after:swap', function () { signedOut(this); learn(this); payment(this); });
    root.addEventListener('click', function (e) {
      var link = e.target.closest && e.target.closest('a[href^="#"][hx-get]');
      if (link) root.host.going = (followed = link.getAttribute('href')).slice(1);
    }, true);
    this.addEventListener('htmx:error', function () { unreachable(this); });
    say(this, 'Loading your account\u2026');
    start(this);
  }

  attributeChangedCallback(name, before, after) {
    if (this.frame && after && after !== before) {
      this.out = false;
      start(this);
    }
  }
}

function command(name, options) {
  if (name === 'boot') {
    bootToken = options && options.token;
    d.querySelectorAll('frontdesk-portal').forEach(function (el) { if (el.frame) start(el); });
  }
}

var followed = null;

w.addEventListener('hashchange', function () {
  // A portal link changes the hash too (so reload and sharing keep the view), but htmx has
  // already fetched that view: only hashes from elsewhere (back button, a link) load here.
  if (location.hash === followed) return followed = null;
  d.querySelectorAll('frontdesk-portal').forEach(function (el) {
    var view = location.hash ? el.deepLinks && place(el) : 'home';
    var target = view && el.session && el.shadowRoot.getElementById('fd-view');
    if (target) htmx.ajax('GET', url(el, '/go/' + (el.going = view)), { source: target, target: target });
  });
});

try {
  // Host pages may queue calls before this script arrives: Frontdesk('boot', {token: ...}).
  var queued = (w.Frontdesk && w.Frontdesk.q) || [];
  w.Frontdesk = function () { try { command.apply(null, arguments); } catch (e) {} };
  queued.forEach(function (args) { w.Frontdesk.apply(null, args); });
  if (!customElements.get('frontdesk-portal')) customElements.define('frontdesk-portal', FrontdeskPortal);
} catch (e) {}
