// After a failed submit: moves focus to the error summary (so screen readers and keyboard users start at what went wrong), and makes each summary link focus its field.
(() => {
  const summary = document.getElementById('error-summary');
  if (!summary) return;
  // Only when nothing else asked for focus first (autofocus, a returning back-navigation).
  if (document.activeElement === document.body || document.activeElement === null) summary.focus();
  summary.addEventListener('click', (event) => {
    const link = event.target instanceof window.Element ? event.target.closest('a[href^="#"]') : null;
    if (!link) return;
    const field = document.getElementById(decodeURIComponent(link.getAttribute('href').slice(1)));
    if (!field) return;
    event.preventDefault();
    // The label sits above the input: bring both into view, then put the caret in the field.
    const label = document.querySelector(`label[for="${window.CSS.escape(field.id)}"]`);
    (label || field).scrollIntoView({ block: 'start' });
    field.focus({ preventScroll: true });
  });
})();
