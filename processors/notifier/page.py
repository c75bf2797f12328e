"""The small live page at ``GET /``: vanilla JS on EventSource, showing one user's notifications.

The token comes from the URL fragment (``/#token=...``, never sent to any server, so it stays out
of access logs) or the query (``/?token=...``); the page then drops it from the address bar.
Text is inserted with ``textContent`` only, so a subject line cannot inject markup. The script is
served separately so the page's Content-Security-Policy can forbid inline scripts.
"""

from __future__ import annotations

INDEX_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>officestream notifications</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
  #status { color: #666; margin-bottom: 1rem; }
  #notifications { list-style: none; padding: 0; }
  #notifications li { border-bottom: 1px solid #eee; padding: .4rem 0; }
  .kind { font-weight: 600; margin-right: .5rem; }
  .time { color: #888; margin-left: .5rem; font-size: 12px; }
</style>
</head>
<body>
<h1>Notifications</h1>
<div id="status" data-state="starting">starting</div>
<ul id="notifications"></ul>
<script src="/notifier.js"></script>
</body>
</html>
"""

NOTIFIER_JS = """'use strict';
(function () {
  var status = document.getElementById('status');
  var list = document.getElementById('notifications');
  var MAX_SHOWN = 200;

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

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

  function summary(n) {
    var p = n.payload || {};
    var text = p.subject || p.title || p.display_name || p.status || '';
    if (p.from && p.from.email) { text += ' — ' + (p.from.name || p.from.email); }
    if (typeof p.count === 'number') { text += ' ' + p.count + ' items'; }
    if (typeof p.items_published === 'number') { text += ' ' + p.items_published + ' items'; }
    return text.trim();
  }

  function show(n) {
    var item = document.createElement('li');
    item.className = 'notification';
    item.dataset.id = n.id;
    item.dataset.kind = n.kind;
    var kind = document.createElement('span');
    kind.className = 'kind';
    kind.textContent = n.kind;
    var text = document.createElement('span');
    text.className = 'summary';
    text.textContent = summary(n);
    var time = document.createElement('span');
    time.className = 'time';
    time.textContent = n.created_at;
    item.append(kind, text, time);
    list.prepend(item);
    while (list.children.length > MAX_SHOWN) { list.removeChild(list.lastChild); }
  }

  var token = takeToken();
  if (!token) {
    setStatus('no-token', 'no token: open this page as /#token=...');
    return;
  }
  var source = new EventSource('/events?token=' + encodeURIComponent(token));
  source.onopen = function () { setStatus('open', 'connected'); };
  source.onerror = function () {
    setStatus(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting',
              source.readyState === EventSource.CLOSED ? 'disconnected (token refused or expired?)' : 'reconnecting');
  };
  source.addEventListener('notification', function (event) { show(JSON.parse(event.data)); });
  source.addEventListener('resync', function () { setStatus('open', 'connected (some notifications may have been missed)'); });
})();
"""
