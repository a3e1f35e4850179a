'use strict';
// The sandbox's dashboard: every figure comes from the admin API of the
// origin that served the page, and every text from the API is set with
// textContent, never parsed as HTML.

const TOKEN_KEY = 'aopay-sandbox-admin-token';
const POLL_MILLIS = 2000;
const JOURNAL_ROWS = 200;

// The forced transitions the sandbox allows (mockserver/recharge.CanTransition).
const TRANSITIONS = {"pending": ["success", "failed"], "failed": ["refunded"]};

// Optional sections, each shown only while the admin API answers its probe,
// so that a sandbox without the operation shows nothing of it.
const OPTIONAL_SECTIONS = [
  {section: 'recordings-section', probe: '/__admin/recordings/status', render: renderRecording},
];

class Unauthorized extends Error {}

function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

// api calls the admin API with the token the page was given; an answer in
// the admin error shape becomes an Error carrying its message.
async function api(method, path, body) {
  const headers = {'Accept': 'application/json'};
  if (token()) headers['Authorization'] = 'Bearer ' + token();
  const init = {method, headers, credentials: 'same-origin', cache: 'no-store'};
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.status === 401) throw new Unauthorized('the admin API needs the admin token');
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const message = data && data.error ? data.error.message : res.status + ' ' + res.statusText;
    const err = new Error(message);
    err.status = res.status;
    throw err;
  }
  return data;
}

function segment(s) { return encodeURIComponent(s); }

// el makes an element: attrs become properties (dataset entries under
// "data"), children are nodes or strings, added as text.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'data') Object.assign(node.dataset, v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else node[k] = v;
  }
  for (const c of children) node.append(c instanceof Node ? c : String(c));
  return node;
}

// syncRows shows one row per item in tbody, rendering again only the rows
// whose item changed, so that a poll never swaps a button from under the
// pointer.
const rowItems = new WeakMap();
function syncRows(tbody, items, render) {
  const rows = Array.from(tbody.children);
  items.forEach((item, i) => {
    const sig = JSON.stringify(item);
    if (rows[i] && rowItems.get(rows[i]) === sig) return;
    const row = render(item);
    rowItems.set(row, sig);
    if (rows[i]) rows[i].replaceWith(row);
    else tbody.append(row);
  });
  for (const extra of rows.slice(items.length)) extra.remove();
}

function say(message, isError) {
  const status = document.getElementById('status');
  status.textContent = message;
  status.className = isError ? 'error' : '';
}

// act runs a change the user asked for, then shows the new state.
async function act(what, fn) {
  try {
    await fn();
    say(what);
  } catch (e) {
    report(e);
  }
  await refresh();
}

function report(e) {
  if (e instanceof Unauthorized) {
    askToken(token() ? 'The admin token was refused; enter it again.' : 'This sandbox needs its admin token.');
    return;
  }
  say(e.message, true);
}

function askToken(message) {
  say(message, true);
  document.body.classList.add('needs-token');
  document.getElementById('token-input').focus();
}

// Transactions

function ruleText(t) {
  const parts = [];
  for (const [name, rule] of [['resolve', t.resolve], ['refund', t.refund]]) {
    if (!rule) continue;
    const when = [];
    if (rule.afterEnquiries) when.push(rule.afterEnquiries + ' enquiries');
    if (rule.after) when.push(rule.after);
    parts.push(name + (rule.to ? ' → ' + rule.to : '') + ' after ' + when.join(' or '));
  }
  return parts.join('; ');
}

function transitionButtons(t) {
  return (TRANSITIONS[t.state] || []).map((to) => el('button', {
    type: 'button', className: 'to-' + to, data: {to},
    on: {click: () => act(t.referenceId + ' is ' + to, () => api('POST',
      '/__admin/transactions/' + segment(t.registrationId) + '/' + segment(t.referenceId) + '/transition', {to}))},
  }, '→ ' + to));
}

function renderTransactions(list) {
  syncRows(document.querySelector('#transactions tbody'), list.transactions, (t) => el('tr', {data: {registration: t.registrationId, reference: t.referenceId, state: t.state}},
    el('td', {}, t.registrationId),
    el('td', {}, t.referenceId),
    el('td', {}, el('span', {className: 'state state-' + t.state}, t.state)),
    el('td', {title: 'in all / in this state'}, t.enquiries + ' / ' + t.stateEnquiries),
    el('td', {}, ruleText(t)),
    el('td', {}, t.origin + (t.scenario ? ' (' + t.scenario + ')' : '')),
    el('td', {className: 'actions'}, ...transitionButtons(t))));
}

// Clock

function renderClock(c) {
  const now = document.getElementById('clock-now');
  now.textContent = c.now;
  now.dateTime = c.now;
  now.dataset.now = c.now;
  document.getElementById('clock-state').textContent = c.frozen ? '(frozen)' : '(running)';
  document.getElementById('clock-offset').textContent = c.offset;
  document.getElementById('clock-freeze').hidden = c.frozen;
  document.getElementById('clock-resume').hidden = !c.frozen;
}

// Faults

// parseFault reads the X-Mock-Fault header's form, kind[=value][; name=value]…,
// whose first value is the status of a status fault and the latency of any
// other, plus the rule's scope and count; the admin API judges the values.
function parseFault(text) {
  const segments = text.split(';');
  const [head, ...first] = segments[0].split('=');
  const rule = {kind: head.trim().toLowerCase()};
  if (!rule.kind) throw new Error('a fault rule starts with its kind, such as status=503 or latency=2s');
  const params = [];
  if (first.length) params.push([rule.kind === 'status' ? 'status' : 'latency', first.join('=')]);
  for (const seg of segments.slice(1)) {
    const at = seg.indexOf('=');
    if (at < 0) throw new Error('parameter "' + seg.trim() + '" must be name=value');
    params.push([seg.slice(0, at), seg.slice(at + 1)]);
  }
  const names = {status: 'status', retryafter: 'retryAfter', latency: 'latency', latencymin: 'latencyMin',
    latencymax: 'latencyMax', referenceid: 'referenceId', registrationid: 'registrationId', count: 'count',
    probability: 'probability'};
  const numbers = new Set(['status', 'count', 'probability']);
  for (const [rawName, rawValue] of params) {
    const name = names[rawName.trim().toLowerCase()];
    const value = rawValue.trim();
    if (!name) throw new Error('unknown parameter "' + rawName.trim() + '" (' + Object.values(names).join(', ') + ')');
    if (!value) throw new Error('parameter ' + name + ' has no value');
    if (name in rule) throw new Error('parameter ' + name + ' is given twice');
    rule[name] = numbers.has(name) ? Number(value) : value;
    if (numbers.has(name) && !Number.isFinite(rule[name])) throw new Error(name + ' "' + value + '" is not a number');
  }
  return rule;
}

function faultDetails(f) {
  const parts = [];
  if (f.status) parts.push('status ' + f.status);
  if (f.retryAfter) parts.push('Retry-After ' + f.retryAfter);
  if (f.latency) parts.push('latency ' + f.latency);
  if (f.latencyMin || f.latencyMax) parts.push('latency ' + (f.latencyMin || '0s') + '–' + (f.latencyMax || ''));
  if (f.probability !== undefined) parts.push('probability ' + f.probability);
  if (f.count) parts.push((f.remaining ?? f.count) + ' of ' + f.count + ' left');
  return parts.join(', ');
}

function renderFaults(list) {
  syncRows(document.querySelector('#faults tbody'), list.faults, (f) => el('tr', {data: {id: f.id, kind: f.kind}},
    el('td', {}, f.id),
    el('td', {}, f.kind),
    el('td', {}, faultDetails(f)),
    el('td', {}, [f.registrationId, f.referenceId].filter(Boolean).join(' / ') || 'every enquiry'),
    el('td', {}, f.injected),
    el('td', {}, el('button', {type: 'button', className: 'remove',
      on: {click: () => act('fault rule ' + f.id + ' removed', () => api('DELETE', '/__admin/faults/' + segment(f.id)))}}, 'Remove'))));
}

// Journal: read page after page from the last id seen, newest shown first.

const journal = {reference: '', after: null, rows: []};

function resetJournal(reference) {
  journal.reference = reference;
  journal.after = null;
  journal.rows = [];
  document.querySelector('#journal tbody').replaceChildren();
}

async function pollJournal() {
  const shown = journal.rows[0];
  for (let pages = 0; pages < 20; pages++) {
    const q = new URLSearchParams({limit: '1000'});
    if (journal.reference) q.set('referenceId', journal.reference);
    if (journal.after !== null) q.set('after', String(journal.after));
    const page = await api('GET', '/__admin/requests?' + q);
    journal.after = page.nextAfter;
    journal.rows = page.requests.reverse().map(journalRow).concat(journal.rows).slice(0, JOURNAL_ROWS);
    if (!page.hasMore) break;
  }
  if (journal.rows[0] !== shown) document.querySelector('#journal tbody').replaceChildren(...journal.rows);
}

function journalRow(r) {
  return el('tr', {data: {id: String(r.id), reference: r.referenceId || '', status: String(r.status)}, className: r.status >= 400 ? 'failed' : ''},
    el('td', {}, r.id),
    el('td', {}, r.time),
    el('td', {}, r.method + ' ' + r.path),
    el('td', {}, r.referenceId || ''),
    el('td', {}, r.status),
    el('td', {}, r.scenario || ''),
    el('td', {}, r.fault || ''),
    el('td', {}, Number(r.durationMs).toFixed(1)));
}

// Optional sections

function renderKeyValues(id) {
  return (data) => {
    const items = Object.entries(data || {}).flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, typeof v === 'object' ? JSON.stringify(v) : v)]);
    document.getElementById(id).replaceChildren(...items);
  };
}

// downloadSnapshot saves the recording's snapshot through link, fetched
// with the admin token, which a followed link would not send.
async function downloadSnapshot(link) {
  const headers = {};
  if (token()) headers['Authorization'] = 'Bearer ' + token();
  const res = await fetch(link.getAttribute('href'), {headers, credentials: 'same-origin', cache: 'no-store'});
  if (res.status === 401) throw new Unauthorized('the admin API needs the admin token');
  if (!res.ok) {
    const data = await res.json().catch(() => null);
    throw new Error(data && data.error ? data.error.message : res.status + ' ' + res.statusText);
  }
  const url = URL.createObjectURL(await res.blob());
  const save = el('a', {href: url, download: link.download});
  document.body.append(save);
  save.click();
  save.remove();
  URL.revokeObjectURL(url);
}

// renderRecording shows the recording's status, and whether one is in
// progress as data-recording.
function renderRecording(data) {
  renderKeyValues('recordings')(data);
  document.getElementById('recordings').dataset.recording = String(Boolean(data && data.recording));
}

async function refreshOptional() {
  for (const s of OPTIONAL_SECTIONS) {
    const section = document.getElementById(s.section);
    try {
      s.render(await api('GET', s.probe));
      section.hidden = false;
    } catch (e) {
      if (e instanceof Unauthorized) throw e;
      section.hidden = true;
    }
  }
}

// refresh shows the sandbox's state, one reading at a time; asked while one
// runs, it reads again once that one ends, so a change is always shown.
let refreshing = null;
let again = false;
function refresh() {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      again = false;
      await readAll();
    } while (again);
    refreshing = null;
  })();
  return refreshing;
}

async function readAll() {
  try {
    const [transactions, clock, faults] = await Promise.all([
      api('GET', '/__admin/transactions'), api('GET', '/__admin/clock'), api('GET', '/__admin/faults')]);
    renderTransactions(transactions);
    renderClock(clock);
    renderFaults(faults);
    await pollJournal();
    await refreshOptional();
    document.body.classList.remove('needs-token');
    document.body.classList.add('ready');
  } catch (e) {
    report(e);
  }
}

function onSubmit(id, fn) {
  document.getElementById(id).addEventListener('submit', (ev) => {
    ev.preventDefault();
    fn();
  });
}

function start() {
  onSubmit('token-form', () => {
    const input = document.getElementById('token-input');
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    input.value = '';
    say('');
    refresh();
  });
  document.getElementById('token-forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    askToken('The admin token is forgotten.');
  });
  onSubmit('clock-advance-form', () => {
    const by = document.getElementById('clock-advance').value.trim();
    act('clock advanced by ' + by, () => api('POST', '/__admin/clock', {advance: by}));
  });
  document.getElementById('clock-freeze').addEventListener('click', () =>
    act('clock frozen', () => api('POST', '/__admin/clock', {freeze: true})));
  document.getElementById('clock-resume').addEventListener('click', () =>
    act('clock running', () => api('POST', '/__admin/clock', {resume: true})));
  onSubmit('fault-form', () => {
    const input = document.getElementById('fault-input');
    act('fault rule added', async () => {
      const rule = await api('POST', '/__admin/faults', parseFault(input.value));
      input.value = '';
      return rule;
    });
  });
  onSubmit('recording-form', () => {
    const upstream = document.getElementById('recording-upstream').value.trim();
    const registrations = document.getElementById('recording-registrations').value.split(',').map((r) => r.trim()).filter((r) => r);
    act('recording started', () => api('POST', '/__admin/recordings/start', {upstream, registrations}));
  });
  document.getElementById('recording-stop').addEventListener('click', () =>
    act('recording stopped', () => api('POST', '/__admin/recordings/stop')));
  document.getElementById('recording-snapshot').addEventListener('click', (ev) => {
    ev.preventDefault();
    downloadSnapshot(ev.currentTarget).catch(report);
  });
  onSubmit('journal-form', () => {
    resetJournal(document.getElementById('journal-reference').value.trim());
    refresh();
  });
  refresh();
  setInterval(() => {
    if (document.getElementById('journal-live').checked && !document.body.classList.contains('needs-token')) refresh();
  }, POLL_MILLIS);
}

document.addEventListener('DOMContentLoaded', start);
