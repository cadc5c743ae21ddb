/* Fuatilia: the live ticket page and the live queue, by polling (works behind any number of
   gunicorn workers: the server keeps no per-process state). Every page works without this file;
   the ticket page's forms still refuse an action against a changed ticket (HTTP 409).
   - #live[data-live-url][data-since]: who else has the ticket open or is typing, what changed
   - #queue-live[data-live-url][data-since]: the count in the title, "N new or changed", and
     "assigned to you" notices */
(function () {
  'use strict';

  const TICKET_EVERY = 2000; // ms: within 5 s of a change, with room for a slow answer
  const QUEUE_EVERY = 10000;
  const HIDDEN_EVERY = 10000; // a tab in the background still counts as viewing (TTL 15 s)
  const TYPING_FOR = 6000; // ms after the last keystroke that an agent counts as typing

  function poll(url, every, handle) {
    let timer = null;
    let busy = false;
    function run() {
      clearTimeout(timer);
      if (busy) return;
      busy = true;
      fetch(url(), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) handle(data); })
        .catch(function () { /* offline for a moment: try again at the next tick */ })
        .then(function () {
          busy = false;
          timer = setTimeout(run, document.hidden ? Math.max(every, HIDDEN_EVERY) : every);
        });
    }
    run();
    return run; // call it to poll now
  }

  function names(list) {
    if (list.length <= 2) return list.join(' and ');
    return list.slice(0, -1).join(', ') + ' and ' + list[list.length - 1];
  }

  /* ---- The ticket page ---- */

  function initTicket(box) {
    const presenceLine = document.getElementById('live-presence');
    const changesBox = document.getElementById('live-changes');
    const changeList = document.getElementById('live-change-list');
    let since = box.getAttribute('data-since') || '0';
    let typedAt = 0;
    const shown = new Set();

    function typing() { return Date.now() - typedAt < TYPING_FOR; }

    function show(data) {
      const watching = data.viewers.filter(function (n) { return data.typing.indexOf(n) < 0; });
      const parts = [];
      if (data.typing.length) parts.push(names(data.typing) + (data.typing.length === 1 ? ' is' : ' are') + ' typing a reply…');
      if (watching.length) parts.push(names(watching) + (watching.length === 1 ? ' is' : ' are') + ' viewing this ticket');
      presenceLine.textContent = parts.join(' · ');
      presenceLine.hidden = parts.length === 0;
      data.changes.forEach(function (change) {
        const key = change.kind + change.when + change.words;
        if (shown.has(key)) return;
        shown.add(key);
        const item = document.createElement('li');
        item.textContent = change.words;
        item.setAttribute('data-kind', change.kind);
        changeList.appendChild(item);
      });
      if (shown.size) changesBox.hidden = false;
      if (data.newest > Number(since)) since = String(data.newest);
    }

    const now = poll(function () {
      return box.getAttribute('data-live-url') + '?since=' + encodeURIComponent(since) +
        '&typing=' + (typing() ? '1' : '0');
    }, TICKET_EVERY, show);

    document.querySelectorAll('#reply-body, #note-body').forEach(function (area) {
      area.addEventListener('input', function () {
        const was = typing();
        typedAt = Date.now();
        if (!was) now(); // tell the others at once, not at the next tick
      });
    });
  }

  /* ---- The queue ---- */

  function initQueue(box) {
    const title = box.getAttribute('data-title') || document.title;
    const total = document.getElementById('queue-total');
    const news = document.getElementById('queue-news');
    const newsCount = document.getElementById('queue-news-count');
    const newsPlural = document.getElementById('queue-news-plural');
    const notices = document.getElementById('assigned-notices');
    let since = box.getAttribute('data-since');
    const onPage = new Set(Array.from(document.querySelectorAll('[data-live-key]'))
      .map(function (row) { return row.getAttribute('data-live-key'); }));
    const changed = new Set();
    const told = new Set();

    function show(data) {
      // counted up to a cap, like the page ("More than 1,000 tickets")
      document.title = '(' + data.count.toLocaleString('en') + (data.more ? '+' : '') + ') ' +
        title + ' \u00b7 Fuatilia';
      if (total) total.textContent = data.count_words;
      data.changed.forEach(function (ticket) {
        const key = ticket.id + '@' + ticket.at;
        if (!onPage.has(key)) changed.add(ticket.id);
      });
      if (changed.size) {
        newsCount.textContent = String(changed.size);
        newsPlural.textContent = changed.size === 1 ? '' : 's';
        news.hidden = false;
      }
      data.assigned.forEach(function (ticket) {
        const key = ticket.id + '@' + ticket.at;
        if (told.has(key)) return;
        told.add(key);
        const notice = document.createElement('p');
        notice.className = 'flash info assigned-notice';
        const link = document.createElement('a');
        link.href = ticket.url;
        link.textContent = ticket.words + ': ' + ticket.subject;
        notice.appendChild(link);
        notices.appendChild(notice);
      });
      since = data.now;
    }

    poll(function () {
      const url = box.getAttribute('data-live-url');
      return url + (url.indexOf('?') < 0 ? '?' : '&') + 'since=' + encodeURIComponent(since);
    }, QUEUE_EVERY, show);
  }

  function init() {
    const ticket = document.getElementById('live');
    if (ticket && ticket.getAttribute('data-live-url')) initTicket(ticket);
    const queue = document.getElementById('queue-live');
    if (queue && queue.getAttribute('data-live-url')) initQueue(queue);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
