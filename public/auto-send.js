// Sends the step-up code as soon as the page opens when a code is the member's only way to confirm: the
// send form carries data-auto-send and is posted once, so nobody clicks "Send code". Without JavaScript
// the same form is a button. The page view never sends (no state change on GET), and the server's resend
// cooldown keeps a second post inside it from sending a second code.
(function () {
  'use strict';

  function send() {
    var form = document.querySelector('form[data-auto-send]');
    if (!form || form.getAttribute('data-auto-sent') === '1') return;
    form.setAttribute('data-auto-sent', '1');
    if (typeof form.requestSubmit === 'function') form.requestSubmit();
    else form.submit();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', send);
  else send();
})();
