// "Copy" buttons (views/partials/copy-button.ejs): shown only where this script runs and the clipboard is
// there, they copy the text of the element they name (one line per list item) and say so in a live status.
(function () {
  'use strict';

  function textOf(target) {
    var items = target.querySelectorAll('li');
    if (!items.length) return target.textContent.trim();
    var lines = [];
    for (var i = 0; i < items.length; i++) lines.push(items[i].textContent.trim());
    return lines.join('\n');
  }

  function wire() {
    var clipboard = window.navigator.clipboard;
    if (!clipboard || typeof clipboard.writeText !== 'function') return;
    var buttons = document.querySelectorAll('button[data-copy]');
    for (var i = 0; i < buttons.length; i++) {
      (function (button) {
        var target = document.getElementById(button.getAttribute('data-copy'));
        if (!target || button.getAttribute('data-copy-wired') === '1') return;
        button.setAttribute('data-copy-wired', '1');
        button.hidden = false;
        var status = button.parentNode.querySelector('[data-copy-status]');
        button.addEventListener('click', function () {
          clipboard.writeText(textOf(target)).then(function () {
            if (status) status.textContent = button.getAttribute('data-copied');
          }, function () { /* refused: the text stays there to select by hand */ });
        });
      })(buttons[i]);
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', wire);
  else wire();
})();
