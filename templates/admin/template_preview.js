/* Live preview of a message template: posts the text as typed, shows what a sample customer
   would get and, for SMS, its encoding and number of segments. Without it, "Preview" does it. */
(function () {
  'use strict';
  var form = document.getElementById('template-form');
  if (!form || !window.fetch) return;
  var timer = null;
  function show(result) {
    var error = document.getElementById('preview-error');
    error.textContent = result.error;
    error.hidden = !result.error;
    document.getElementById('preview-text').textContent = result.text;
    var subject = document.getElementById('preview-subject');
    if (subject) subject.textContent = result.subject;
    var length = document.getElementById('preview-length');
    if (length) {
      length.textContent = result.chars + ' characters \u00b7 ' + result.segments + ' SMS (' +
        (result.encoding || '\u2014') + ')';
      length.classList.toggle('is-multi', result.segments > 1);
    }
  }
  function refresh() {
    fetch(form.getAttribute('data-preview-url'), {method: 'POST', body: new FormData(form),
      credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (result) { if (result) show(result); })
      .catch(function () {});
  }
  form.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
})();
