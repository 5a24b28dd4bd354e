// Small progressive enhancements; every page works without this file.
(function () {
  'use strict';

  /** Set while a form is being submitted: the page is going away, background refreshes must not race it. */
  var leaving = false;
  var liveSource = null;

  function stopLive() {
    leaving = true;
    if (liveSource) liveSource.close();
  }

  // Destructive forms (refuse, merge) ask once before submitting.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form || form.tagName !== 'FORM') return;
    var question = form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // One click, one submission: a second click on a slow network would hit the stale-version check.
    var buttons = form.querySelectorAll('button[type="submit"]');
    for (var i = 0; i < buttons.length; i += 1) buttons[i].setAttribute('disabled', 'disabled');
    stopLive();
  });

  // After a refused command the error is announced; move keyboard focus to it as well.
  document.addEventListener('DOMContentLoaded', function () {
    var error = document.getElementById('loi-thao-tac');
    if (error) {
      error.setAttribute('tabindex', '-1');
      error.focus();
    }
    startLive();
  });

  // ───────────── Live updates: GET /console/live (Server-Sent Events) ─────────────
  //
  // The server sends `case` events for cases the official may see (id, code, status; never a citizen's text)
  // and `resync` when it may have missed some. Nothing from an event is ever inserted as HTML: texts go in
  // with textContent, and refreshed parts come from the server's own escaped page, parsed with DOMParser.

  /** Fetches this page again, as the server renders it now, without consuming its one-shot flash message. */
  function fetchCurrentPage() {
    var url = window.location.href.split('#')[0];
    return window
      .fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html', 'x-pakn-live-refresh': '1' } })
      .then(function (res) {
        return res.text().then(function (html) {
          return { ok: res.ok, doc: new window.DOMParser().parseFromString(html, 'text/html') };
        });
      });
  }

  /** Replaces the children of `target` with copies of those of `source` (another document's element). */
  function replaceChildrenFrom(target, source) {
    while (target.firstChild) target.removeChild(target.firstChild);
    var nodes = source.childNodes;
    for (var i = 0; i < nodes.length; i += 1) target.appendChild(document.importNode(nodes[i], true));
  }

  function liveUi(root) {
    var banner = root.querySelector('[data-live-banner]');
    var text = root.querySelector('[data-live-text]');
    var announcer = root.querySelector('[data-live-announce]');
    var button = root.querySelector('[data-live-reload]');
    return {
      button: button,
      show: function (message) {
        text.textContent = message;
        banner.hidden = false;
        this.announce(message);
      },
      hide: function () {
        banner.hidden = true;
        text.textContent = '';
      },
      announce: function (message) {
        // Cleared first, so the same sentence twice is announced twice.
        announcer.textContent = '';
        window.setTimeout(function () {
          announcer.textContent = message;
        }, 50);
      },
    };
  }

  /**
   * The inbox keeps its rows still while the official reads them: a change is counted in a banner ("Có 2 hồ sơ
   * vừa cập nhật") and the list is refreshed in place, filters, page and scroll kept, when they ask for it. A
   * new citizen message marks its row at once, since that moves nothing. While the tab is hidden nobody is
   * reading, so the list refreshes straight away.
   */
  function inboxPage(root, ui) {
    var view = root.getAttribute('data-live-view') || '';
    var statusFilter = root.getAttribute('data-live-status') || '';
    var firstPage = root.getAttribute('data-live-first-page') === 'true';
    var pending = {};
    var pendingCount = 0;
    var maybeMissed = false;
    var withMessages = {};
    var loading = false;

    function results() {
      return document.querySelector('[data-live-results]');
    }
    function rowOf(caseId) {
      return results().querySelector('tr[data-case-id="' + Number(caseId) + '"]');
    }
    function newestShownId() {
      var rows = results().querySelectorAll('tr[data-case-id]');
      var max = 0;
      for (var i = 0; i < rows.length; i += 1) max = Math.max(max, Number(rows[i].getAttribute('data-case-id')));
      return max;
    }

    /** Could this change alter what this tab lists? Rows shown always count; otherwise it depends on the tab. */
    function isRelevant(e) {
      if (rowOf(e.caseId)) return true;
      if (e.left || e.kind === 'message') return false;
      if (statusFilter && e.status !== statusFilter) return false;
      switch (view) {
        case 'triage':
          return e.status === 'received';
        case 'pending_approval':
          return e.status === 'pending_approval';
        case 'mine':
          return e.mine === true;
        case 'unit':
          return e.entered === true;
        case 'all':
          return firstPage && (e.kind === 'created' || e.entered === true || e.caseId > newestShownId());
        default:
          // "Sắp đến hạn" and "Quá hạn" move with the clock more than with changes.
          return false;
      }
    }

    function markMessage(row) {
      if (row.querySelector('.tag--message')) return;
      var tag = document.createElement('span');
      tag.className = 'tag tag--message';
      tag.textContent = 'Có tin nhắn mới';
      var cell = row.querySelector('th') || row.firstElementChild;
      if (cell) cell.appendChild(tag);
    }

    function showBanner() {
      if (pendingCount > 0) ui.show('Có ' + pendingCount + ' hồ sơ vừa cập nhật.');
      else if (maybeMissed) ui.show('Kết nối cập nhật vừa được khôi phục; danh sách có thể đã thay đổi.');
    }

    function reload() {
      if (loading || leaving) return;
      loading = true;
      ui.button.disabled = true;
      var updated = pending;
      var hadFocus = document.activeElement === ui.button;
      pending = {};
      pendingCount = 0;
      maybeMissed = false;
      fetchCurrentPage()
        .then(function (page) {
          var fresh = page.ok ? page.doc.querySelector('[data-live-results]') : null;
          // Signed out meanwhile, or the page failed: let the browser show what the server says.
          if (!fresh) return window.location.reload();
          var current = results();
          replaceChildrenFrom(current, fresh);
          for (var id in updated) {
            var row = rowOf(id);
            if (row) row.classList.add('case-row--updated');
          }
          for (var m in withMessages) {
            var messageRow = rowOf(m);
            if (messageRow) markMessage(messageRow);
          }
          ui.hide();
          ui.announce('Đã tải lại danh sách hồ sơ.');
          if (hadFocus) current.focus();
          root.setAttribute('data-live-refreshed', String(Number(root.getAttribute('data-live-refreshed') || '0') + 1));
        })
        .catch(function () {
          window.location.reload();
        })
        .then(function () {
          loading = false;
          ui.button.disabled = false;
          if (pendingCount > 0 || maybeMissed) {
            if (document.hidden) reload();
            else showBanner();
          }
        });
    }

    ui.button.addEventListener('click', reload);
    document.addEventListener('visibilitychange', function () {
      if (document.hidden && (pendingCount > 0 || maybeMissed)) reload();
    });

    return {
      change: function (e) {
        if (e.kind === 'message' && !e.left) {
          var row = rowOf(e.caseId);
          if (!row) return;
          withMessages[e.caseId] = true;
          markMessage(row);
          ui.announce('Hồ sơ ' + e.code + ' có tin nhắn mới của người gửi.');
          return;
        }
        if (!isRelevant(e)) return;
        if (!pending[e.caseId]) {
          pending[e.caseId] = true;
          pendingCount += 1;
        }
        if (document.hidden) reload();
        else showBanner();
      },
      resync: function () {
        maybeMissed = true;
        if (document.hidden) reload();
        else showBanner();
      },
    };
  }

  /**
   * The case page takes new timeline items in place (the forms, and whatever the official is typing, stay as
   * they are). When the case itself changed, a banner says so: the forms carry the old version and would be
   * refused, so the official reloads when ready.
   */
  function casePage(root, ui) {
    var caseId = Number(root.getAttribute('data-live-case-id'));
    var version = Number(root.getAttribute('data-live-version'));
    var loading = false;
    var again = false;

    ui.button.addEventListener('click', function () {
      window.location.reload();
    });

    function refresh() {
      if (leaving) return;
      if (loading) {
        again = true;
        return;
      }
      loading = true;
      fetchCurrentPage()
        .then(function (page) {
          var freshRoot = page.ok ? page.doc.querySelector('[data-live="case"]') : null;
          var fresh = page.ok ? page.doc.querySelector('[data-live-timeline]') : null;
          var current = document.querySelector('[data-live-timeline]');
          if (!freshRoot || !fresh || !current || Number(freshRoot.getAttribute('data-live-case-id')) !== caseId) {
            ui.show('Không tải được nội dung mới của hồ sơ. Vui lòng tải lại trang.');
            return;
          }
          var known = {};
          var items = current.querySelectorAll('[data-key]');
          for (var i = 0; i < items.length; i += 1) known[items[i].getAttribute('data-key')] = true;
          replaceChildrenFrom(current, fresh);
          var added = 0;
          var now = current.querySelectorAll('[data-key]');
          for (var j = 0; j < now.length; j += 1) {
            if (!known[now[j].getAttribute('data-key')]) {
              now[j].classList.add('timeline-item--new');
              added += 1;
            }
          }
          var freshVersion = Number(freshRoot.getAttribute('data-live-version'));
          if (freshVersion > version) {
            var status = page.doc.querySelector('.case-meta .status');
            ui.show(
              'Hồ sơ vừa được cập nhật' +
                (status ? ' (trạng thái: ' + status.textContent.trim() + ')' : '') +
                '. Các thao tác bên dưới vẫn theo nội dung cũ; hãy tải lại trang trước khi thao tác tiếp.',
            );
          } else if (added > 0) {
            ui.announce('Có ' + added + ' hoạt động mới trong dòng thời gian.');
          }
          root.setAttribute('data-live-refreshed', String(Number(root.getAttribute('data-live-refreshed') || '0') + 1));
        })
        .catch(function () {
          ui.show('Không tải được nội dung mới của hồ sơ. Vui lòng tải lại trang.');
        })
        .then(function () {
          loading = false;
          if (again) {
            again = false;
            refresh();
          }
        });
    }

    return {
      change: function (e) {
        if (Number(e.caseId) !== caseId) return;
        if (e.left) {
          ui.show('Hồ sơ vừa chuyển khỏi phạm vi xử lý của đơn vị bạn.');
          return;
        }
        refresh();
      },
      resync: refresh,
    };
  }

  function startLive() {
    var root = document.querySelector('[data-live-source]');
    if (!root || typeof window.EventSource !== 'function') return;
    var ui = liveUi(root);
    var page = root.getAttribute('data-live') === 'case' ? casePage(root, ui) : inboxPage(root, ui);
    var connectedBefore = false;

    function connect() {
      var source = new window.EventSource(root.getAttribute('data-live-source'));
      liveSource = source;
      listen(source);
    }

    function listen(source) {
      source.addEventListener('ready', function () {
        root.setAttribute('data-live-state', 'connected');
        // A reconnect: whatever changed while the stream was down was not sent.
        if (connectedBefore) page.resync();
        connectedBefore = true;
      });
      source.addEventListener('case', function (message) {
        var event;
        try {
          event = JSON.parse(message.data);
        } catch {
          return;
        }
        if (event && typeof event.caseId === 'number') page.change(event);
      });
      source.addEventListener('resync', function () {
        page.resync();
      });
      source.addEventListener('error', function () {
        // CLOSED (2): refused for good (signed out, too many tabs); otherwise the browser reconnects by itself.
        root.setAttribute('data-live-state', source.readyState === 2 ? 'off' : 'reconnecting');
      });
    }

    connect();
    window.addEventListener('pagehide', stopLive);
    // Back from the browser's page cache: the stream was closed while away, so reconnect and recheck.
    window.addEventListener('pageshow', function (event) {
      if (!event.persisted) return;
      leaving = false;
      connectedBefore = true;
      connect();
    });
  }
})();
