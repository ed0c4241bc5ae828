// medbert clinician page: posts the note to "diagnose" on this origin and
// shows the suggestions and the word attributions. No storage of any kind:
// the note and the token live only in the form fields of this tab.
'use strict';

(function () {
  // The synthetic note that ?demo=1 submits; equal to webui.DemoNote.
  var DEMO_NOTE = '58-year-old man with crushing chest pain radiating to the left arm for two hours, ' +
    'diaphoresis and nausea. ECG: ST elevation in II, III and aVF. Troponin markedly raised. ' +
    'Denies fever or cough.';
  var TOP_K = 5;
  var MAX_ALPHA = 0.6; // strongest highlight; keeps dark text readable (contrast >= 7:1)

  function $(id) { return document.getElementById(id); }

  function show(el, on) { el.hidden = !on; }

  function setStatus(msg) { $('status').textContent = msg; }

  function resetResults() {
    show($('error'), false);
    show($('truncated'), false);
    show($('explanation'), false);
    show($('meta'), false);
    show($('disclaimer'), false);
    show($('empty'), true);
    $('diagnoses').replaceChildren();
    $('highlighted').replaceChildren();
    $('top-words').tBodies[0].replaceChildren();
  }

  function showError(message, requestID) {
    var box = $('error');
    box.textContent = message;
    if (requestID) {
      var ref = document.createElement('div');
      ref.className = 'help';
      ref.textContent = 'Request ' + requestID;
      box.appendChild(ref);
    }
    show(box, true);
    show($('empty'), false);
  }

  function percent(score) {
    var s = Math.min(Math.max(Number(score) || 0, 0), 1);
    return Math.round(s * 1000) / 10 + '%';
  }

  function renderDiagnoses(list) {
    var ol = $('diagnoses');
    list.forEach(function (d) {
      var li = document.createElement('li');
      var label = document.createElement('span');
      label.className = 'label';
      label.textContent = String(d.label);
      var score = document.createElement('span');
      score.className = 'score';
      score.textContent = percent(d.score);
      var bar = document.createElement('div');
      bar.className = 'bar';
      bar.setAttribute('aria-hidden', 'true');
      var fill = document.createElement('div');
      fill.className = 'fill';
      // CSSOM, not a style attribute: allowed by style-src 'self'.
      fill.style.width = percent(d.score);
      bar.appendChild(fill);
      li.append(label, score, bar);
      ol.appendChild(li);
    });
  }

  // highlight rebuilds text with each word wrapped in a <mark>. Offsets
  // are in code points, so the text is indexed as Array.from(text), never
  // by UTF-16 units (an emoji or a rare CJK character is two of those).
  function highlight(text, words) {
    var cps = Array.from(text);
    var sorted = words.filter(function (w) {
      return Number.isInteger(w.start) && Number.isInteger(w.end) &&
        w.start >= 0 && w.start < w.end && w.end <= cps.length;
    }).sort(function (a, b) { return a.start - b.start; });
    var scale = 0;
    sorted.forEach(function (w) { scale = Math.max(scale, Math.abs(Number(w.score) || 0)); });
    var frag = document.createDocumentFragment();
    var pos = 0;
    sorted.forEach(function (w) {
      if (w.start < pos) { return; } // overlapping span: keep the first
      if (w.start > pos) { frag.appendChild(document.createTextNode(cps.slice(pos, w.start).join(''))); }
      var s = Number(w.score) || 0;
      var m = document.createElement('mark');
      m.className = 'hl ' + (s >= 0 ? 'for' : 'against');
      m.dataset.score = s.toFixed(4);
      m.title = (s >= 0 ? 'for' : 'against') + ' (' + (s >= 0 ? '+' : '') + s.toFixed(3) + ')';
      var a = scale > 0 ? Math.min(Math.abs(s) / scale, 1) * MAX_ALPHA : 0;
      m.style.backgroundColor = (s >= 0 ? 'rgba(214, 39, 40, ' : 'rgba(31, 119, 180, ') + a.toFixed(3) + ')';
      m.textContent = cps.slice(w.start, w.end).join('');
      frag.appendChild(m);
      pos = w.end;
    });
    if (pos < cps.length) { frag.appendChild(document.createTextNode(cps.slice(pos).join(''))); }
    $('highlighted').replaceChildren(frag);

    var strongest = sorted.slice().sort(function (a, b) {
      return Math.abs(Number(b.score) || 0) - Math.abs(Number(a.score) || 0);
    }).slice(0, 8);
    var body = $('top-words').tBodies[0];
    strongest.forEach(function (w) {
      var s = Number(w.score) || 0;
      var tr = document.createElement('tr');
      [cps.slice(w.start, w.end).join(''), s >= 0 ? 'for' : 'against', (s >= 0 ? '+' : '') + s.toFixed(3)]
        .forEach(function (v) {
          var td = document.createElement('td');
          td.textContent = v;
          tr.appendChild(td);
        });
      body.appendChild(tr);
    });
  }

  function renderResult(text, r) {
    show($('empty'), false);
    renderDiagnoses(Array.isArray(r.diagnoses) ? r.diagnoses : []);
    show($('truncated'), r.truncated === true);
    var e = r.explanation;
    if (e && Array.isArray(e.words) && e.words.length > 0) {
      $('explained-label').textContent = String(e.label);
      $('legend-label').textContent = String(e.label);
      $('method').textContent = e.method === 'ig' ? 'integrated gradients' :
        e.method === 'gxi' ? 'gradient × input' : e.method === 'rollout' ? 'attention rollout' : String(e.method);
      highlight(text, e.words);
      show($('explanation'), true);
    }
    $('model-name').textContent = r.model ? String(r.model) : 'unknown';
    $('model-sha').textContent = r.model_sha256 ? String(r.model_sha256).slice(0, 12) : '—';
    $('model-sha').title = r.model_sha256 ? String(r.model_sha256) : '';
    $('request-id').textContent = r.request_id ? String(r.request_id) : '—';
    show($('meta'), true);
    if (r.disclaimer) {
      $('disclaimer').textContent = String(r.disclaimer);
      show($('disclaimer'), true);
    }
  }

  var busy = false;

  function submit() {
    if (busy) { return; }
    var text = $('note').value;
    resetResults();
    if (text.trim() === '') {
      showError('Type or paste a note first.');
      $('note').focus();
      return;
    }
    var req = { text: text, top_k: TOP_K, explain: true };
    var sel = $('model');
    if (sel) { req.model = sel.value; }
    var headers = { 'Content-Type': 'application/json', 'Accept': 'application/json' };
    var token = $('token').value.trim();
    if (token) { headers.Authorization = 'Bearer ' + token; }

    busy = true;
    $('submit').disabled = true;
    $('results').setAttribute('aria-busy', 'true');
    setStatus('Analysing the note…');
    fetch('diagnose', {
      method: 'POST', headers: headers, body: JSON.stringify(req),
      credentials: 'same-origin', cache: 'no-store', referrerPolicy: 'no-referrer'
    }).then(function (resp) {
      return resp.text().then(function (body) {
        var data = null;
        try { data = JSON.parse(body); } catch (err) { data = null; }
        if (!resp.ok) {
          var msg = data && data.error && data.error.message ? String(data.error.message) :
            'The server answered HTTP ' + resp.status + '.';
          if (data && data.error && data.error.field) { msg += ' (field: ' + data.error.field + ')'; }
          showError(msg, data && data.request_id);
          setStatus('');
          return;
        }
        if (!data || typeof data !== 'object') {
          showError('The server sent an answer this page cannot read.');
          setStatus('');
          return;
        }
        renderResult(text, data);
        setStatus('Done.');
        $('results-title').focus();
      });
    }).catch(function () {
      showError('Could not reach the server. Check the connection and try again.');
      setStatus('');
    }).finally(function () {
      busy = false;
      $('submit').disabled = false;
      $('results').removeAttribute('aria-busy');
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('form').addEventListener('submit', function (ev) { ev.preventDefault(); submit(); });
    $('note').addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); submit(); }
    });
    $('clear').addEventListener('click', function () {
      $('note').value = '';
      resetResults();
      setStatus('');
      $('note').focus();
    });
    if (new URLSearchParams(window.location.search).get('demo') === '1') {
      if ($('note').value.trim() === '') { $('note').value = DEMO_NOTE; }
      submit();
    }
  });
})();
