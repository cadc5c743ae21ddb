/* Fuatilia: the canned-response picker on the ticket page. The "Canned response" button,
   Ctrl+/ or "#" typed in an empty reply box open a list filtered as you type (arrows, Enter,
   Escape). Choosing one puts its text, filled in for this ticket, into the reply box; nothing
   is sent. A macro's changes wait for "Send reply" (macro_id goes with the form) or "Apply now". */
(function () {
  'use strict';

  function init() {
    const picker = document.getElementById('canned-picker');
    const reply = document.getElementById('reply-body');
    if (!picker || !reply) return;
    const opener = document.getElementById('canned-open');
    const filter = document.getElementById('canned-filter');
    const list = document.getElementById('canned-options');
    const status = document.getElementById('canned-status');
    const languageNote = document.getElementById('canned-note');
    const macroId = document.getElementById('macro-id');
    const macroNote = document.getElementById('macro-note');
    const macroWords = document.getElementById('macro-words');
    const applyForm = document.getElementById('macro-apply-form');
    let items = null;
    let shown = [];
    let active = 0;

    opener.hidden = false;
    document.getElementById('canned-hint').hidden = false;

    function load() {
      if (items) return Promise.resolve(items);
      status.textContent = 'Loading…';
      return fetch(picker.getAttribute('data-canned-url'), {
        credentials: 'same-origin', headers: { Accept: 'application/json' }
      }).then(function (answer) {
        if (!answer.ok) throw new Error('HTTP ' + answer.status);
        return answer.json();
      }).then(function (data) {
        items = data.responses;
        return items;
      });
    }

    function open() {
      picker.hidden = false;
      filter.value = '';
      filter.focus();
      load().then(render).catch(function () {
        status.textContent = 'The canned responses could not be loaded; reload the page.';
      });
    }

    function close(focusReply) {
      picker.hidden = true;
      if (focusReply) reply.focus();
    }

    function render() {
      const words = filter.value.trim().toLowerCase();
      shown = items.filter(function (item) {
        return !words || (item.title + '\n' + item.text).toLowerCase().indexOf(words) >= 0;
      });
      active = Math.min(active, Math.max(shown.length - 1, 0));
      list.textContent = '';
      shown.forEach(function (item, index) {
        const option = document.createElement('li');
        option.id = 'canned-option-' + item.id;
        option.setAttribute('role', 'option');
        option.setAttribute('aria-selected', index === active ? 'true' : 'false');
        option.className = 'canned-option' + (index === active ? ' is-active' : '');
        const title = document.createElement('strong');
        title.textContent = item.title;
        const preview = document.createElement('span');
        preview.className = 'small muted';
        preview.textContent = ' ' + (item.error || item.text).slice(0, 90) +
          (item.actions.length ? ' · then ' + item.actions.join(', ') : '');
        option.append(title, preview);
        option.addEventListener('mousedown', function (event) {
          event.preventDefault();
          choose(item);
        });
        list.appendChild(option);
      });
      filter.setAttribute('aria-activedescendant', shown.length ? 'canned-option-' + shown[active].id : '');
      status.textContent = shown.length ? shown.length + ' found' : 'None found';
    }

    function choose(item) {
      if (item.error) {
        status.textContent = item.error;
        return;
      }
      const start = reply.selectionStart;
      reply.setRangeText(item.text, start, reply.selectionEnd, 'end');
      reply.dispatchEvent(new Event('input', { bubbles: true }));
      languageNote.textContent = item.note;
      languageNote.hidden = !item.note;
      macroId.value = item.actions.length ? String(item.id) : '';
      macroWords.textContent = item.actions.length
        ? '“' + item.title + '” will also ' + item.actions.join(', ') + ' when you send the reply.'
        : '';
      macroNote.hidden = !item.actions.length;
      close(true);
    }

    filter.addEventListener('input', function () { active = 0; if (items) render(); });
    filter.addEventListener('keydown', function (event) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        if (!shown.length) return;
        active = (active + (event.key === 'ArrowDown' ? 1 : shown.length - 1)) % shown.length;
        render();
      } else if (event.key === 'Enter') {
        event.preventDefault();
        if (shown[active]) choose(shown[active]);
      } else if (event.key === 'Escape') {
        event.preventDefault();
        close(true);
      }
    });
    filter.addEventListener('blur', function () { setTimeout(function () { close(false); }, 150); });
    opener.addEventListener('click', open);
    reply.addEventListener('keydown', function (event) {
      const shortcut = event.ctrlKey && event.key === '/';
      if (shortcut || (event.key === '#' && reply.value === '')) {
        event.preventDefault();
        open();
      }
    });
    document.getElementById('macro-clear').addEventListener('click', function () {
      macroId.value = '';
      macroNote.hidden = true;
    });
    document.getElementById('macro-apply').addEventListener('click', function () {
      applyForm.action = applyForm.getAttribute('data-apply-url')
        .replace(/\/0\/apply$/, '/' + macroId.value + '/apply');
      applyForm.submit();
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
