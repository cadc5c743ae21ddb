/* Fuatilia: small progressive enhancements. Every page works without this file.
   - <textarea data-sms-counter="ID">: live length / SMS segment count written into #ID
   - data-confirm="Question?" on a form, button, input or link: ask before going ahead
   - <form data-once>: disable its submit buttons after the first submit
   - <input type="checkbox" data-select-all="NAME">: ticks or clears every NAME box of its form
   - <input type=file data-max-bytes data-max-files [data-max-total]>: check the chosen files
     against the limits the server put in the page, before anything is sent; the message
     goes next to the field (words from data-too-big, data-too-many, data-too-much, data-empty)
     and the form is not sent, so what was typed stays. The server checks again. */
(function () {
  'use strict';

  /* ---- SMS length (GSM 03.38) ---- */

  // Basic character set, in table order 0x00-0x7F, without ESC (0x1B).
  const GSM_BASIC = new Set(Array.from(
    '@£$¥èéùìòÇ\nØø\rÅå' +
    'Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ' +
    ' !"#¤%&\'()*+,-./' +
    '0123456789:;<=>?' +
    '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§' +
    '¿abcdefghijklmnopqrstuvwxyzäöñüà'
  ));
  // Extension table: each costs an escape plus the character, so 2 septets.
  const GSM_EXTENDED = new Set(Array.from('\f^{}\\[~]|€'));

  function smsInfo(text) {
    const chars = Array.from(text).length; // code points, as a person would count
    let septets = 0;
    let gsm = true;
    for (const ch of text) {
      if (GSM_BASIC.has(ch)) septets += 1;
      else if (GSM_EXTENDED.has(ch)) septets += 2;
      else { gsm = false; break; }
    }
    if (gsm) {
      return {
        encoding: 'GSM-7', chars: chars, units: septets,
        segments: septets === 0 ? 0 : septets <= 160 ? 1 : Math.ceil(septets / 153)
      };
    }
    const units = text.length; // UTF-16 code units
    return {
      encoding: 'Unicode', chars: chars, units: units,
      segments: units <= 70 ? 1 : Math.ceil(units / 67)
    };
  }

  function smsText(info) {
    return info.chars + (info.chars === 1 ? ' character' : ' characters') +
      ' \u00b7 ' + info.segments + ' SMS (' + info.encoding + ')';
  }

  function initSmsCounter(area) {
    const out = document.getElementById(area.getAttribute('data-sms-counter'));
    if (!out || area.dataset.smsCounterReady) return;
    area.dataset.smsCounterReady = '1';

    // Let assistive tech read the count when the field is focused...
    const ids = (area.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    if (ids.indexOf(out.id) < 0) {
      ids.push(out.id);
      area.setAttribute('aria-describedby', ids.join(' '));
    }
    // ...and announce only meaningful changes (segment count or encoding), not every keystroke.
    const live = document.createElement('span');
    live.className = 'visually-hidden';
    live.setAttribute('aria-live', 'polite');
    out.parentNode.insertBefore(live, out.nextSibling);

    let last = null;
    function update(announce) {
      const info = smsInfo(area.value);
      out.textContent = smsText(info);
      out.classList.toggle('is-multi', info.segments > 1);
      out.classList.toggle('is-unicode', info.encoding !== 'GSM-7');
      if (announce && last && info.segments > 0 &&
          (last.segments !== info.segments || last.encoding !== info.encoding)) {
        live.textContent = 'Now ' + info.segments + ' SMS (' + info.encoding + ')';
      }
      last = info;
    }
    area.addEventListener('input', function () { update(true); });
    if (area.form) {
      area.form.addEventListener('reset', function () { setTimeout(function () { update(false); }, 0); });
    }
    update(false);
  }

  /* ---- Confirm before acting ---- */

  function ask(el) {
    return window.confirm(el.getAttribute('data-confirm') || 'Are you sure?');
  }

  const SUBMITTERS = 'button, input[type="submit"], input[type="image"]';

  document.addEventListener('click', function (event) {
    const target = event.target;
    if (!(target instanceof Element)) return;

    // Remember which button submitted a form (for browsers without SubmitEvent.submitter).
    const submitter = target.closest(SUBMITTERS);
    if (submitter && submitter.form && (submitter.type === 'submit' || submitter.type === 'image')) {
      submitter.form._fuatiliaSubmitter = submitter;
    }

    const el = target.closest('a[data-confirm], button[data-confirm], input[data-confirm]');
    if (!el || el.disabled) return;
    if (el.form && el.form.dataset.submitting === '1') { event.preventDefault(); return; } // already on its way
    if (!ask(el)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  /* ---- Submit: form-level confirm, then single submission ---- */

  function submitButtons(form) {
    return Array.from(form.elements).filter(function (el) {
      return el.type === 'submit' || el.type === 'image';
    });
  }

  document.addEventListener('submit', function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const submitter = event.submitter || form._fuatiliaSubmitter || null;
    form._fuatiliaSubmitter = null;

    // A button with its own data-confirm was already asked on click.
    if (form.hasAttribute('data-confirm') && !(submitter && submitter.hasAttribute('data-confirm'))) {
      if (!ask(form)) { event.preventDefault(); return; }
    }
    if (event.defaultPrevented || !form.hasAttribute('data-once')) return;

    if (form.dataset.submitting === '1') { event.preventDefault(); return; }
    form.dataset.submitting = '1';
    form.setAttribute('aria-busy', 'true');
    // Disable after the browser has collected the form data, so the clicked
    // button's name/value is still sent.
    setTimeout(function () {
      submitButtons(form).forEach(function (btn) {
        if (!btn.disabled) { btn.disabled = true; btn.dataset.onceDisabled = '1'; }
      });
    }, 0);
  });

  // Coming back with the Back button (page cache): make the form usable again.
  window.addEventListener('pageshow', function (event) {
    if (!event.persisted) return;
    document.querySelectorAll('form[data-submitting]').forEach(function (form) {
      delete form.dataset.submitting;
      form.removeAttribute('aria-busy');
      submitButtons(form).forEach(function (btn) {
        if (btn.dataset.onceDisabled) { btn.disabled = false; delete btn.dataset.onceDisabled; }
      });
    });
  });

  /* ---- Select all (the queue's bulk bar) ---- */

  document.addEventListener('change', function (event) {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.hasAttribute('data-select-all') || !box.form) return;
    const name = box.getAttribute('data-select-all');
    box.form.querySelectorAll('input[type="checkbox"]').forEach(function (other) {
      if (other.name === name) other.checked = box.checked;
    });
  });

  /* ---- File limits, checked before sending ---- */

  function fileProblem(input) {
    const files = Array.from(input.files || []);
    const most = Number(input.dataset.maxFiles || 0);
    const each = Number(input.dataset.maxBytes || 0);
    const together = Number(input.dataset.maxTotal || 0);
    if (most && files.length > most) return input.dataset.tooMany;
    const big = files.find(function (file) { return each && file.size > each; });
    if (big) return big.name + ': ' + input.dataset.tooBig;
    const empty = files.find(function (file) { return file.size === 0; });
    if (empty) return empty.name + ': ' + input.dataset.empty;
    const sum = files.reduce(function (total, file) { return total + file.size; }, 0);
    if (together && sum > together) return input.dataset.tooMuch;
    return '';
  }

  function showFileProblem(input) {
    const problem = fileProblem(input);
    const id = input.id + '-check';
    let out = document.getElementById(id);
    if (!out) {
      out = document.createElement('p');
      out.id = id;
      out.className = 'error';
      out.setAttribute('role', 'alert');
      input.parentNode.insertBefore(out, input.nextSibling);
      const ids = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
      input.setAttribute('aria-describedby', ids.concat([id]).join(' '));
    }
    out.textContent = problem;
    out.hidden = !problem;
    input.classList.toggle('field-error', Boolean(problem));
    if (problem) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
    return problem;
  }

  document.addEventListener('change', function (event) {
    const input = event.target;
    if (input instanceof HTMLInputElement && input.type === 'file' && input.dataset.maxBytes) {
      showFileProblem(input);
    }
  });

  // Capture phase: runs before the single-submission handler below, so a refused form stays
  // usable.
  document.addEventListener('submit', function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const inputs = form.querySelectorAll('input[type="file"][data-max-bytes]');
    const refused = Array.from(inputs).filter(showFileProblem);
    if (refused.length) {
      event.preventDefault();
      refused[0].focus();
    }
  }, true);

  /* ---- Start ---- */

  function init() {
    document.querySelectorAll('textarea[data-sms-counter]').forEach(initSmsCounter);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();

  window.Fuatilia = { smsInfo: smsInfo, smsText: smsText };
})();
