'use strict';
// The live page: one user's notifications from GET /events (EventSource), laid out as a
// dashboard. The words come with each notification (its "display", written by the server);
// this script keeps the state between notifications (import rates, package cards, meetings
// ahead) and formats times in the reader's own time zone and locale.
(function () {
  var MAX_FEED = 100;
  var MAX_SEEN = 5000;
  var MEETING_DAYS = 7;
  var BACKOFF_MAX_S = 60;

  var $ = function (id) { return document.getElementById(id); };
  var statusLine = $('status');
  var dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  var dayTime = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' });
  var dayOnly = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
  var clock = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
  // The feed's times: today's as a clock time, older ones with their date.
  var recent = { format: function (when) { return when.toDateString() === new Date().toDateString() ? clock.format(when) : dateTime.format(when); } };
  var integer = new Intl.NumberFormat();
  var DOC_NAMES = { email: 'Emails', calendar_event: 'Calendar', contact: 'Contacts' };

  var seen = new Set();
  var seenOrder = [];
  var lastId = null;
  var imports = {};      // doc type -> {job, first, last, estimated, done}
  var shipments = {};    // carrier:number -> notification
  var meetings = {};     // event id -> {title, start, end, allDay, detail}

  // -- small helpers -----------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }  // never innerHTML
    return node;
  }

  // A date-only value ("2026-12-05") is a day in the reader's calendar, not midnight UTC.
  function parseWhen(value) {
    var day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || '');
    return day ? new Date(+day[1], +day[2] - 1, +day[3]) : new Date(value);
  }

  function timeElement(value, allDay, format) {
    var when = parseWhen(value);
    var node = el('time', null, isNaN(when) ? value : (allDay ? dayOnly.format(when) + ', all day' : format.format(when)));
    node.dateTime = value;
    return node;
  }

  function seconds(s) {
    if (s < 90) { return Math.max(1, Math.round(s)) + ' s'; }
    if (s < 5400) { return Math.round(s / 60) + ' min'; }
    return (s / 3600).toFixed(1) + ' h';
  }

  function setStatus(state, text) {
    statusLine.dataset.state = state;
    statusLine.textContent = text;
  }

  function showEmpty(listId, empty) { $(listId + '-empty').hidden = !empty; }

  // -- imports (backfill progress) -------------------------------------------------------------

  function onImport(n) {
    var p = n.payload, at = Date.parse(n.created_at);
    var entry = imports[p.doc_type];
    if (!entry || entry.job !== p.job_id) { entry = imports[p.doc_type] = { job: p.job_id, first: null, last: null }; }
    var point = { at: at, items: p.items_published };
    if (n.kind === 'backfill.completed') {
      entry.done = p.status;
      entry.last = point;
    } else if (!entry.done) {
      if (!entry.first || at < entry.first.at) { entry.first = point; }
      if (!entry.last || at >= entry.last.at) { entry.last = point; }
      if (typeof p.items_estimated === 'number') { entry.estimated = p.items_estimated; }
    }
    renderImport(p.doc_type, entry);
  }

  function importNumbers(entry) {
    var items = entry.last.items, total = entry.estimated;
    if (entry.done === 'succeeded') { return 'Up to date · ' + integer.format(items) + ' imported'; }
    if (entry.done) { return entry.done === 'cancelled' ? 'Cancelled' : 'Failed · ' + integer.format(items) + ' imported'; }
    var parts = [integer.format(items) + (total ? ' of ' + integer.format(total) : '')];
    var elapsed = (entry.last.at - entry.first.at) / 1000;
    if (elapsed > 0 && entry.last.items > entry.first.items) {
      var rate = (entry.last.items - entry.first.items) / elapsed;
      parts.push(integer.format(Math.round(rate)) + '/s');
      if (total && total > items) { parts.push('about ' + seconds((total - items) / rate) + ' left'); }
    }
    return parts.join(' · ');
  }

  function renderImport(docType, entry) {
    var row = document.querySelector('#imports li[data-doc-type="' + CSS.escape(docType) + '"]');
    if (!row) {
      row = el('li', 'import');
      row.dataset.docType = docType;
      var name = DOC_NAMES[docType] || docType, bar = el('progress');
      bar.setAttribute('aria-label', name + ' import');
      row.append(el('span', 'name', name), bar, el('span', 'numbers'));
      $('imports').append(row);
    }
    row.dataset.state = entry.done ? (entry.done === 'succeeded' ? 'done' : 'failed') : 'running';
    var bar = row.querySelector('progress');
    var total = entry.done ? entry.last.items : entry.estimated;
    if (total) { bar.max = Math.max(total, 1); bar.value = entry.done ? bar.max : Math.min(entry.last.items, total); }
    else { bar.removeAttribute('value'); }  // an unknown total: an indeterminate bar
    if (entry.done === 'succeeded') { bar.max = 1; bar.value = 1; }
    row.querySelector('.numbers').textContent = importNumbers(entry);
    showEmpty('imports', false);
  }

  // -- packages --------------------------------------------------------------------------------

  function onShipment(n) {
    var key = (n.payload.carrier || '') + ':' + n.payload.tracking_number;
    var known = shipments[key];
    if (known && Date.parse(known.created_at) > Date.parse(n.created_at)) { return; }  // older news
    shipments[key] = n;
    var card = document.querySelector('.shipment[data-key="' + CSS.escape(key) + '"]') || newCard(key);
    fillCard(card, n);
    showEmpty('shipments', false);
  }

  function newCard(key) {
    var card = el('article', 'shipment');
    card.dataset.key = key;
    $('shipments').prepend(card);
    return card;
  }

  function fillCard(card, n) {
    var p = n.payload, d = n.display || {};
    card.replaceChildren();
    card.dataset.status = p.status || '';
    card.dataset.trackingNumber = p.tracking_number;
    var head = el('header');
    head.append(el('h3', 'carrier', d.carrier || 'Carrier unknown'));
    var number = el(d.url && d.url.indexOf('https://') === 0 ? 'a' : 'span', 'number', p.tracking_number);
    if (number.tagName === 'A') { number.href = d.url; number.target = '_blank'; number.rel = 'noopener noreferrer'; }
    head.append(number);
    card.append(head, el('p', 'status', d.headline || p.status));
    if (p.merchant) { card.append(el('p', 'merchant', 'from ' + p.merchant)); }
    var history = el('ol', 'history');
    (d.history || []).slice().reverse().forEach(function (step) {
      var item = el('li', null, step.label + ' · ');
      item.append(timeElement(step.at, false, dateTime));
      history.append(item);
    });
    card.append(history);
  }

  // -- meetings ahead --------------------------------------------------------------------------

  function onCalendar(n) {
    var p = n.payload;
    if (n.kind === 'calendar.backfill') {
      (p.upcoming || []).forEach(function (m) {
        meetings[m.calendar_event_id] = { title: m.title, start: m.start, end: m.end, allDay: m.is_all_day, where: m.location };
      });
    } else if (n.kind.indexOf('meeting.') === 0) {
      if (n.kind === 'meeting.synced') { return; }
      var gone = p.record_type === 'tombstone' || p.is_cancelled || n.kind === 'meeting.cancelled' || n.kind === 'meeting.deleted';
      if (gone) { delete meetings[p.event_id]; }
      else { meetings[p.event_id] = { title: p.title, start: p.start && (p.start.at || p.start.date), end: p.end && (p.end.at || p.end.date), allDay: p.is_all_day, where: p.location }; }
    } else if (p.calendar_event_id) {
      if (n.kind === 'calendar.deleted' || p.status === 'cancelled') { delete meetings[p.calendar_event_id]; }
      else if (p.start) { meetings[p.calendar_event_id] = { title: p.title, start: p.start, end: p.end, allDay: p.is_all_day }; }
    }
    renderMeetings();
  }

  function renderMeetings() {
    var now = Date.now(), until = now + MEETING_DAYS * 86400000;
    var ahead = Object.keys(meetings).map(function (id) { return [id, meetings[id]]; }).filter(function (pair) {
      var m = pair[1], start = parseWhen(m.start).getTime(), end = parseWhen(m.end || m.start).getTime();
      return !isNaN(start) && end > now && start < until;
    }).sort(function (a, b) { return parseWhen(a[1].start) - parseWhen(b[1].start); });
    var list = $('meetings');
    list.replaceChildren.apply(list, ahead.map(function (pair) {
      var m = pair[1], item = el('li', 'meeting');
      item.dataset.id = pair[0];
      item.append(timeElement(m.start, m.allDay, dayTime), el('span', 'title', m.title || '(no title)'));
      if (m.where) { item.append(el('span', 'where', ' · ' + m.where)); }
      return item;
    }));
    showEmpty('meetings', ahead.length === 0);
  }

  // -- the feed --------------------------------------------------------------------------------

  // Batches and progress are summed up in the import bars, not listed one by one.
  function inFeed(kind) {
    return kind !== 'backfill.progress' && kind !== 'meeting.synced' && !/\.backfill$/.test(kind);
  }

  function addToFeed(n) {
    var d = n.display || { headline: n.kind };
    var item = el('li', 'notification');
    item.dataset.id = n.id;
    item.dataset.kind = n.kind;
    item.append(el('span', 'headline', d.headline));
    item.append(el('span', 'summary', d.detail || ''));
    if (d.when) { var when = timeElement(d.when, d.all_day, dayTime); when.className = 'when'; item.append(when); }
    var time = timeElement(n.created_at, false, recent);
    time.className = 'time';
    item.append(time);
    var list = $('notifications');
    list.prepend(item);
    while (list.children.length > MAX_FEED) { list.removeChild(list.lastChild); }
    showEmpty('notifications', false);
  }

  // eventId: the frame's SSE id, a resume token (the server's position for this page) when the
  // notifier reads Kafka; a reconnect by hand sends it back and resumes exactly.
  function handle(n, eventId) {
    lastId = eventId || n.id;
    if (seen.has(n.id)) { return; }  // a replay after a reconnect may repeat what we have
    seen.add(n.id);
    seenOrder.push(n.id);
    if (seenOrder.length > MAX_SEEN) { seen.delete(seenOrder.shift()); }
    var family = n.kind.split('.')[0];
    if (family === 'backfill') { onImport(n); }
    else if (family === 'shipment') { onShipment(n); }
    else if (family === 'meeting' || family === 'calendar') { onCalendar(n); }
    if (inFeed(n.kind)) { addToFeed(n); }
  }

  // -- the connection ------------------------------------------------------------------------

  function takeToken() {
    var fromHash = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
    var query = new URLSearchParams(location.search);
    var token = fromHash || query.get('token');
    if (token) {
      query.delete('token');
      var rest = query.toString();
      history.replaceState(null, '', location.pathname + (rest ? '?' + rest : ''));
    }
    return token;
  }

  // The token's own expiry claim, read (not verified: the server does that) to tell an expired
  // link from a busy server, which EventSource cannot: it hides the HTTP status of a refusal.
  function expiresAt(token) {
    try {
      var claims = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
      return typeof claims.exp === 'number' ? claims.exp * 1000 : Infinity;
    } catch (e) { return Infinity; }
  }

  var token = takeToken();
  if (!token) { setStatus('no-token', 'No token: open this page as /#token=…'); return; }
  var expiry = expiresAt(token);
  var source = null, failures = 0, opened = false;

  // last_event_id=0 on the first connection asks for everything the server buffered for this
  // user (every id sorts after "0"); a reconnect resumes after the last notification seen.
  function connect() {
    source = new EventSource('/events?token=' + encodeURIComponent(token) + '&last_event_id=' + encodeURIComponent(lastId || '0'));
    source.onopen = function () { failures = 0; opened = true; setStatus('open', 'Live'); };
    source.onerror = onError;
    source.addEventListener('notification', function (event) { handle(JSON.parse(event.data), event.lastEventId); });
    source.addEventListener('resync', function () {
      if (lastId) { setStatus('open', 'Live (reconnected; older changes may be missing: reload for a full view)'); }
    });
  }

  // EventSource retries by itself (with Last-Event-ID) after a dropped stream, but gives up for
  // good on an HTTP error such as 429 / 503 (too many connections): then we wait, longer after
  // each failure, and open a new one that resumes after the last notification seen.
  function onError() {
    if (source.readyState === EventSource.CONNECTING) { setStatus('reconnecting', 'Reconnecting…'); return; }
    source.close();
    if (Date.now() >= expiry) { setStatus('expired', 'This link has expired: open a fresh one'); return; }
    failures += 1;
    var delay = Math.min(BACKOFF_MAX_S, Math.pow(2, failures - 1)) * (0.75 + Math.random() / 2);
    setStatus('waiting', (opened ? 'Disconnected' : 'Server busy or unreachable') + '; retrying in ' + Math.ceil(delay) + ' s');
    setTimeout(connect, delay * 1000);
  }

  setInterval(renderMeetings, 60000);  // meetings that ended leave the list
  connect();
})();
