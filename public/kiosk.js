// Kiosk mode: counts down the idle time the server allows (data-seconds on #kiosk-countdown), then sends the
// end form, which ends the flow and returns the kiosk to the client's start. The server ends the session at
// the same moment on its own; this only makes the kiosk show it. Served as a file: the CSP allows no inline script.
(function () {
  'use strict';
  var timer = document.getElementById('kiosk-countdown');
  var form = document.getElementById('kiosk-end');
  if (!timer || !form) return;
  var seconds = parseInt(timer.getAttribute('data-seconds') || '', 10);
  if (!(seconds > 0)) return;
  var endsAt = Date.now() + seconds * 1000;
  function show(left) {
    var minutes = Math.floor(left / 60);
    var rest = left % 60;
    timer.textContent = minutes + ':' + (rest < 10 ? '0' : '') + rest;
  }
  var interval = window.setInterval(function () {
    var left = Math.max(0, Math.ceil((endsAt - Date.now()) / 1000));
    show(left);
    if (left === 0) {
      window.clearInterval(interval);
      form.submit();
    }
  }, 250);
})();
