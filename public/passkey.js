// Passkeys on the hosted pages, as progressive enhancement: without JavaScript or WebAuthn the passkey
// parts stay hidden and everything else works. The server does every check; this only carries JSON.
(function () {
  'use strict';
  var lib = window.SimpleWebAuthnBrowser;
  if (!lib || !lib.browserSupportsWebAuthn()) return;

  // Links and blocks that make sense only where passkeys work.
  document.querySelectorAll('[data-passkey-only]').forEach(function (el) { el.hidden = false; });
  // Tells the sign-in step that this device could create a passkey (the only case one is offered).
  lib.platformAuthenticatorIsAvailable().then(function (available) {
    document.querySelectorAll('[data-webauthn-support]').forEach(function (el) { el.value = available ? '1' : ''; });
  });

  var root = document.querySelector('[data-passkey]');
  if (!root) return;
  var button = root.querySelector('[data-passkey-button]');
  var status = root.querySelector('[data-passkey-status]');

  function say(text) {
    status.textContent = text;
    status.hidden = !text;
  }

  function post(url, body) {
    body.csrf = root.dataset.csrf;
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw Object.assign(new Error(data.message || root.dataset.msgCancelled), { fromServer: Boolean(data.message) });
        return data;
      });
    });
  }

  function failed(error) {
    // The browser's own errors (cancelled, timed out, no passkey) get one plain sentence.
    say(error && error.fromServer ? error.message : root.dataset.msgCancelled);
    button.disabled = false;
  }

  // Set once the button is pressed: an autofill request whose options arrive later must not start, since
  // starting it would abort the button's request (one WebAuthn request per page at a time).
  var buttonPressed = false;

  function signIn(useBrowserAutofill) {
    var mode = useBrowserAutofill ? 'autofill' : 'button';
    return post(root.dataset.optionsUrl, { mode: mode })
      .then(function (optionsJSON) {
        if (useBrowserAutofill && buttonPressed) throw new Error('superseded by the button');
        return lib.startAuthentication({ optionsJSON: optionsJSON, useBrowserAutofill: useBrowserAutofill });
      })
      .then(function (response) { say(root.dataset.msgWorking); return post(root.dataset.verifyUrl, { mode: mode, response: response }); })
      .then(function (result) { window.location.assign(result.location); });
  }

  function create() {
    return post(root.dataset.optionsUrl, {})
      .then(function (optionsJSON) { return lib.startRegistration({ optionsJSON: optionsJSON }); })
      .then(function (response) { say(root.dataset.msgWorking); return post(root.dataset.verifyUrl, { response: response }); })
      .then(function (result) { window.location.assign(result.location); });
  }

  root.hidden = false;
  say('');
  button.disabled = false;

  if (root.dataset.passkey === 'login') {
    button.addEventListener('click', function () {
      buttonPressed = true;
      button.disabled = true;
      say('');
      signIn(false).catch(failed);
    });
    // Conditional UI: passkeys offered in the email field's autofill. A new request (the button) aborts it.
    if (lib.browserSupportsWebAuthnAutofill) {
      lib.browserSupportsWebAuthnAutofill().then(function (supported) {
        if (supported) signIn(true).catch(function (error) { if (error && error.fromServer) failed(error); });
      });
    }
  } else if (root.dataset.passkey === 'stepup') {
    button.addEventListener('click', function () {
      button.disabled = true;
      say('');
      signIn(false).catch(failed);
    });
  } else if (root.dataset.passkey === 'create') {
    button.addEventListener('click', function () {
      button.disabled = true;
      say('');
      create().catch(failed);
    });
  }
})();
