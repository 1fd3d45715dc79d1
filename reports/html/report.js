/* reports/html/report.js - the HTML report's filters and evidence panel (compiled in; see
 * html.h). It reads the report embedded in the page; every text goes in as textContent. */
(function () {
  'use strict';
  var rep = JSON.parse(document.getElementById('ucscan-report').textContent);
  var matrix = document.getElementById('matrix');
  var form = document.getElementById('filters');
  var q = document.getElementById('q');
  var problems = document.getElementById('problems');
  var detail = document.getElementById('detail');
  var open = null;

  function portText(c) {
    return c.range ? c.range.first + '-' + c.range.last : String(c.port);
  }
  function checkKey(host, c) {
    return host.name + '/' + portText(c) + '/' + c.transport +
      (c['interface'] ? '/' + c['interface'] : '');
  }
  function checkOf(td) {
    var host = rep.hosts[Number(td.dataset.h)];
    return { host: host, check: host.checks[Number(td.dataset.c)] };
  }
  function put(el, s) { el.textContent = s === null || s === undefined ? '' : String(s); }
  function add(parent, tag, text) {
    var el = document.createElement(tag);
    put(el, text);
    parent.appendChild(el);
    return el;
  }

  function show(td) {
    var x = checkOf(td), host = x.host, c = x.check;
    if (open) { open.classList.remove('sel'); }
    open = td;
    td.classList.add('sel');
    put(document.getElementById('d-title'), host.name + ' ' + portText(c) + '/' + c.transport);
    var dl = document.getElementById('d-fields');
    dl.textContent = '';
    [['verdict', c.verdict], ['state', c.state], ['reason', c.reason],
     ['protocol', c.protocol], ['probe', c.probe],
     ['address', c.address || host.address], ['interface', c['interface']],
     ['vantage', c.vantage],
     ['rtt', c.rtt_ms === null || c.rtt_ms === undefined ? null : c.rtt_ms + ' ms'],
     ['attempts', c.attempts]].forEach(function (kv) {
      if (kv[1] === null || kv[1] === undefined) { return; }
      add(dl, 'dt', kv[0]);
      add(dl, 'dd', kv[1]);
    });
    var ul = document.getElementById('d-reqs');
    ul.textContent = '';
    (c.requirements || []).forEach(function (r) {
      add(ul, 'li', r.id + ' (' + r.role + ', ' + r.service + (r.optional ? ', optional' : '') + ')');
    });
    if (!ul.firstChild) { add(ul, 'li', 'none: an ad hoc --ports check'); }
    var ev = {};
    Object.keys(c.evidence || {}).forEach(function (k) { ev[k] = c.evidence[k]; });
    if (c.range) { ev.range = c.range; }
    put(document.getElementById('d-evidence'), JSON.stringify(ev, null, 2));
    detail.className = 'detail d-' + c.verdict;
    detail.hidden = false;
    detail.dataset.check = checkKey(host, c);
    saveHash();
  }

  function hide() {
    if (open) { open.classList.remove('sel'); }
    open = null;
    detail.hidden = true;
    saveHash();
  }

  function wanted() {
    var v = {};
    form.querySelectorAll('input[name=v]').forEach(function (i) { v[i.value] = i.checked; });
    return v;
  }

  function hostText(host) {
    return [host.name, host.address || ''].concat(host.roles || []).join(' ').toLowerCase();
  }
  function cellText(c) {
    return [portText(c) + '/' + c.transport, c.protocol, c.state || '', c.reason,
      c['interface'] || ''].join(' ').toLowerCase();
  }

  function apply() {
    var v = wanted(), needle = q.value.trim().toLowerCase(), only = problems.checked;
    var rows = matrix.tBodies[0].rows, heads = matrix.tHead.rows[0].cells;
    var colShown = [], hosts = 0, cells = 0, i, j;
    for (j = 0; j < heads.length; j++) { colShown.push(j === 0); }
    for (i = 0; i < rows.length; i++) {
      var row = rows[i], host = rep.hosts[Number(row.dataset.h)];
      var hostMatch = !needle || hostText(host).indexOf(needle) >= 0;
      var any = false, problem = false;
      for (j = 1; j < row.cells.length; j++) {
        var td = row.cells[j];
        if (!td.classList.contains('c')) { continue; }
        var c = checkOf(td).check;
        var on = v[c.verdict] !== false &&
          (hostMatch || cellText(c).indexOf(needle) >= 0) &&
          (!only || c.verdict === 'fail' || c.verdict === 'warn');
        td.classList.toggle('off', !on);
        td.tabIndex = on ? 0 : -1;
        if (on) {
          any = true;
          problem = problem || c.verdict === 'fail' || c.verdict === 'warn';
        }
      }
      var showRow = any && (!only || problem);
      row.classList.toggle('hide', !showRow);
      if (!showRow) { continue; }
      hosts++;
      for (j = 1; j < row.cells.length; j++) {
        if (row.cells[j].classList.contains('c') && !row.cells[j].classList.contains('off')) {
          colShown[j] = true;
          cells++;
        }
      }
    }
    var filtered = needle || only || Object.keys(v).some(function (k) { return !v[k]; });
    for (j = 0; j < heads.length; j++) {
      var gone = filtered && !colShown[j];
      heads[j].classList.toggle('hide', gone);
      for (i = 0; i < rows.length; i++) {
        if (rows[i].cells[j]) { rows[i].cells[j].classList.toggle('hide', gone); }
      }
    }
    put(document.getElementById('shown'), 'showing ' + cells + ' check' + (cells === 1 ? '' : 's') +
      ' on ' + hosts + ' host' + (hosts === 1 ? '' : 's'));
    saveHash();
  }

  var loading = true;
  function saveHash() {
    if (loading) { return; }
    var v = wanted(), parts = [];
    var on = Object.keys(v).filter(function (k) { return v[k]; });
    if (on.length !== 4) { parts.push('verdict=' + on.join(',')); }
    if (q.value.trim()) { parts.push('q=' + encodeURIComponent(q.value.trim())); }
    if (problems.checked) { parts.push('problems=1'); }
    if (!detail.hidden && detail.dataset.check) {
      parts.push('check=' + encodeURIComponent(detail.dataset.check));
    }
    history.replaceState(null, '', parts.length ? '#' + parts.join('&') : location.pathname);
  }

  function loadHash() {
    var want = null;
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      var k = kv.split('=')[0], val = decodeURIComponent(kv.slice(k.length + 1));
      if (k === 'verdict') {
        var list = val.split(',');
        form.querySelectorAll('input[name=v]').forEach(function (i) {
          i.checked = list.indexOf(i.value) >= 0;
        });
      } else if (k === 'q') {
        q.value = val;
      } else if (k === 'problems') {
        problems.checked = val === '1';
      } else if (k === 'check') {
        want = val;
      }
    });
    apply();
    if (want) {
      matrix.querySelectorAll('td.c').forEach(function (td) {
        var x = checkOf(td);
        if (checkKey(x.host, x.check) === want) { show(td); }
      });
    }
  }

  matrix.addEventListener('click', function (e) {
    var td = e.target.closest('td.c');
    if (td && !td.classList.contains('off')) { show(td); }
  });
  matrix.addEventListener('keydown', function (e) {
    var td = e.target.closest('td.c');
    if (td && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); show(td); }
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { hide(); }
  });
  document.getElementById('close').addEventListener('click', hide);
  form.addEventListener('input', apply);
  form.addEventListener('change', apply);
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  form.hidden = false;
  loadHash();
  loading = false;
  document.body.dataset.ready = '1';
}());
