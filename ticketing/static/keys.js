/* Fuatilia: keyboard shortcuts for signed-in staff. Every page works without this file.
   - Ctrl+Enter (Cmd+Enter): send the form whose text box has the focus, as its first button would
   - a[data-key-row] (the queue's ticket links): j / k select the next / previous, Enter or o opens it
   - [data-key-focus="r"] / [data-key-focus="n"]: r / n put the cursor there (reply, internal note)
   - dialog#shortcuts: ? opens the list of shortcuts; Escape or its Close button closes it
   Letters never fire while the user types in a box, nor with Ctrl, Alt, Meta (or Shift) held. */
(function () {
  'use strict';

  const NOT_TEXT = new Set(['button', 'checkbox', 'color', 'file', 'hidden', 'image', 'radio',
    'range', 'reset', 'submit']);

  function isTextBox(el) {
    return el instanceof HTMLTextAreaElement ||
      (el instanceof HTMLInputElement && !NOT_TEXT.has(el.type));
  }

  function typing(el) {
    return el instanceof Element &&
      (el.isContentEditable || el.closest('input, textarea, select, [contenteditable]') !== null);
  }

  /* ---- Ctrl+Enter: send ---- */

  function send(box) {
    const form = box.form;
    if (!form || form.dataset.submitting === '1') return;
    // Clicking the default button keeps every check a click gets (data-confirm, data-once).
    const button = Array.from(form.elements).find(function (el) {
      return el.type === 'submit' && !el.disabled;
    });
    if (button) button.click();
    else form.requestSubmit();
  }

  /* ---- The queue: a selection that j and k move ---- */

  let selected = null;

  function select(step) {
    const links = Array.from(document.querySelectorAll('a[data-key-row]'));
    if (!links.length) return;
    const from = links.indexOf(document.activeElement) >= 0 ? document.activeElement : selected;
    const at = links.indexOf(from);
    const next = links[at < 0 ? 0 : Math.min(Math.max(at + step, 0), links.length - 1)];
    if (selected) selected.closest('tr').classList.remove('key-selected');
    selected = next;
    selected.closest('tr').classList.add('key-selected');
    selected.focus(); // a screen reader reads the ticket; Enter on a link opens it
  }

  function open() {
    if (selected) window.location.assign(selected.href);
  }

  /* ---- The list of shortcuts ---- */

  let opener = null;

  function showShortcuts(dialog) {
    opener = document.activeElement;
    dialog.showModal(); // modal: the page behind is inert, Tab stays inside, Escape closes
  }

  function closed() {
    if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
    opener = null;
  }

  /* ---- One listener ---- */

  function onKey(event, dialog) {
    if (event.defaultPrevented || event.isComposing) return;
    const target = event.target;

    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !event.altKey) {
      if (isTextBox(target)) { event.preventDefault(); send(target); }
      return;
    }
    if (event.ctrlKey || event.altKey || event.metaKey || typing(target)) return;
    if (dialog && dialog.open) return; // the dialog's own keys: Tab, Escape, Enter on Close

    const key = event.key;
    if (key === '?' && dialog) { event.preventDefault(); showShortcuts(dialog); return; }
    if (event.shiftKey) return; // J is not j
    if (key === 'j' || key === 'k') { event.preventDefault(); select(key === 'j' ? 1 : -1); return; }
    // Enter on a focused link or button does what it always does; o, or Enter with nothing
    // focused (the page itself or its main area), opens the selected ticket.
    if (key === 'o' || (key === 'Enter' && target.matches('body, main'))) {
      if (selected) { event.preventDefault(); open(); }
      return;
    }
    if (key === 'r' || key === 'n') {
      const box = document.querySelector('[data-key-focus="' + key + '"]');
      if (box) { event.preventDefault(); box.focus(); }
    }
  }

  function init() {
    const dialog = document.getElementById('shortcuts');
    if (dialog) {
      dialog.addEventListener('close', closed);
      dialog.querySelectorAll('[data-shortcuts-close]').forEach(function (button) {
        button.addEventListener('click', function () { dialog.close(); });
      });
      document.querySelectorAll('[data-shortcuts-open]').forEach(function (button) {
        button.hidden = false;
        button.addEventListener('click', function () { showShortcuts(dialog); });
      });
    }
    document.addEventListener('keydown', function (event) { onKey(event, dialog); });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
