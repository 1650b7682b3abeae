// The dpr dashboard (docs/dashboard.md): the v1 API with the key signed in with, and GET /v1/events.
'use strict';

const $ = selector => document.querySelector(selector);
const KEY = 'dpr.key';
const COLORS = ['#0b5cad', '#b3261e', '#1d6b35', '#8a5a00', '#6a1b9a', '#00695c', '#37474f', '#ad1457'];
const HISTORY_MS = 5 * 60 * 1000;

let key = sessionStorage.getItem(KEY);
let source = null;
let lastId = null;
let retry = null;
const partitions = new Map();   // name -> region state
const hits = new Map();         // name -> { starts, hits, swapped }
const jobs = new Map();         // id -> job
const samples = [];             // { at, queued: { module: n } }
const modules = new Set();
let chart = null;               // uPlot of the queue depths

function el(tag, { dataset, ...props } = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  // dataset is read-only: its entries are copied one by one.
  Object.assign(node.dataset, dataset);
  for (const child of children) node.append(child);
  return node;
}

function ago(at) {
  if (!at) return 'never';
  const s = Math.max(0, (Date.now() - new Date(at).getTime()) / 1000);
  return s < 60 ? `${s.toFixed(0)} s ago` : s < 3600 ? `${(s / 60).toFixed(0)} min ago` : `${(s / 3600).toFixed(1)} h ago`;
}

function ms(value) {
  if (value == null) return '';
  return value < 1000 ? `${value.toFixed(0)} ms` : `${(value / 1000).toFixed(1)} s`;
}

function status(text) { $('#status').textContent = text; }

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...(options.headers || {}), Authorization: `Bearer ${key}` } });
  if (response.status === 401) {
    signOut('Your key is no longer accepted: sign in again.');
    throw new Error('signed out');
  }
  return response;
}

async function signIn(candidate) {
  const response = await fetch('/v1/regions', { headers: { Authorization: `Bearer ${candidate}` } });
  if (!response.ok) {
    $('#signin-error').textContent = response.status === 401 ? 'That key was not accepted.' : `The service answered ${response.status}.`;
    return false;
  }
  key = candidate;
  sessionStorage.setItem(KEY, key);
  $('#signin').hidden = true;
  $('#dashboard').hidden = false;
  $('#signout').hidden = false;
  $('#signin-error').textContent = '';
  connect();
  loadModules();
  return true;
}

function signOut(message) {
  sessionStorage.removeItem(KEY);
  key = null;
  lastId = null;
  if (source) source.close();
  source = null;
  clearTimeout(retry);
  partitions.clear(); jobs.clear(); hits.clear(); samples.length = 0;
  if (chart) chart.destroy();
  chart = null;
  $('#dashboard').hidden = true;
  $('#signout').hidden = true;
  $('#who').hidden = true;
  $('#signin').hidden = false;
  $('#signin-error').textContent = message || '';
  $('#key').value = '';
  $('#key').focus();
  status('Signed out');
}

// An EventSource cannot send the key: each connection gets a single-use ticket, and carries the last
// event id itself (a new EventSource does not), so it resumes where it stopped, also after a restart.
async function connect() {
  if (!key) return;
  let ticket;
  try {
    ticket = (await (await api('/v1/events/tickets', { method: 'POST' })).json()).ticket;
  } catch (e) {
    if (key) { status('Service unreachable; retrying'); retry = setTimeout(connect, 1000); }
    return;
  }
  const url = `/v1/events?ticket=${encodeURIComponent(ticket)}` + (lastId ? `&lastEventId=${encodeURIComponent(lastId)}` : '');
  source = new EventSource(url);
  source.onopen = () => status('Live');
  source.onerror = () => {
    source.close();
    if (key) { status('Connection lost; reconnecting'); retry = setTimeout(connect, 1000); }
  };
  const on = (name, handle) => source.addEventListener(name, e => {
    if (e.lastEventId) lastId = e.lastEventId;
    handle(JSON.parse(e.data));
  });
  on('hello', hello);
  on('region', region);
  on('partition', state => { partitions.set(state.partition, state); renderPartitions(); });
  on('job', job);
  on('queues', queues);
  on('health', health);
  on('signed-out', () => signOut('Your key was revoked: sign in with another.'));
}

function hello(h) {
  $('#board').textContent = `· ${h.board}`;
  $('#who').textContent = `${h.tenant}${h.admin ? ' (admin)' : ''}`;
  $('#who').hidden = false;
  $('#admin').hidden = !h.admin;
  for (const r of h.regions) partitions.set(r.partition, r);
  renderPartitions();
  fillPartitionSelect();
  queues({ queued: h.queued, at: new Date().toISOString() });
  if (h.health) health(h.health);
  if (!h.resumed || h.gap) loadJobs();
  if (h.admin) loadTenants();
  status(h.resumed ? 'Live (resumed)' : 'Live');
}

function region(e) {
  if (e.state) partitions.set(e.partition, e.state);
  const hit = hits.get(e.partition) || { starts: 0, hits: 0, swapped: false };
  if (e.kind === 'swap-started') hit.swapped = true;
  hits.set(e.partition, hit);
  const text = e.kind === 'upset'
    ? `${e.partition}: upset at frame ${e.frame}${e.corrected ? ' (corrected)' : ''}`
    : `${e.partition}: ${e.kind.replace('-', ' ')}${e.module ? ' ' + e.module : ''}${e.totalMs != null ? ' in ' + ms(e.totalMs) : ''}${e.reason ? ' (' + e.reason + ')' : ''}`;
  const item = el('li', { className: `kind-${e.kind}`, dataset: { partition: e.partition, sequence: e.sequence } }, el('time', { dateTime: e.at, textContent: new Date(e.at).toLocaleTimeString() }), text);
  $('#timeline').prepend(item);
  while ($('#timeline').children.length > 100) $('#timeline').lastChild.remove();
  if (e.kind === 'upset') {
    $('#upsets').prepend(item.cloneNode(true));
    while ($('#upsets').children.length > 20) $('#upsets').lastChild.remove();
  }
  renderPartitions();
}

function job(e) {
  const known = jobs.get(e.id) || { id: e.id, module: e.module };
  known.state = e.state;
  if (e.partition) known.partition = e.partition;
  if (e.error) known.error = e.error;
  if (e.state === 'queued') known.acceptedAt = known.acceptedAt || e.at;
  if (e.state === 'running') {
    known.startedAt = known.startedAt || e.at;
    const hit = hits.get(e.partition) || { starts: 0, hits: 0, swapped: false };
    hit.starts++;
    if (!hit.swapped) hit.hits++;
    hit.swapped = false;
    hits.set(e.partition, hit);
    renderPartitions();
  }
  if (['completed', 'failed', 'cancelled'].includes(e.state)) known.finishedAt = e.at;
  jobs.set(e.id, known);
  renderJobs();
}

function queues(q) {
  for (const m of Object.keys(q.queued)) modules.add(m);
  samples.push({ at: new Date(q.at).getTime(), queued: q.queued });
  while (samples.length > 1 && samples[0].at < Date.now() - HISTORY_MS) samples.shift();
  renderQueues();
}

function health(h) {
  const sem = h.sem || {};
  const facts = [
    ['Board', h.degraded ? 'degraded' : 'healthy'],
    ['Controller', `${sem.status || 'unknown'}${sem.state ? ' · ' + sem.state : ''}`],
    ['Upsets', `${sem.upsets ?? 0}`],
    ['Last report', sem.lastReport ? `${sem.lastReport} (${ago(sem.lastReportAt)})` : 'none'],
  ];
  $('#sem').replaceChildren(...facts.flatMap(([name, value]) => [el('dt', { textContent: name }), el('dd', { textContent: value })]));
}

function renderPartitions() {
  const cards = [...partitions.values()].sort((a, b) => a.partition.localeCompare(b.partition)).map(p => {
    const hit = hits.get(p.partition);
    const rate = hit && hit.starts ? `${Math.round(100 * hit.hits / hit.starts)}% of ${hit.starts} jobs` : '—';
    return el('article', { className: `partition state-${p.status}`, role: 'listitem', ariaLabel: `Partition ${p.partition}` },
      el('h3', { textContent: p.partition }),
      el('p', { className: 'module', textContent: p.module || p.pendingModule || 'empty' }),
      el('p', { textContent: p.status + (p.faultReason ? `: ${p.faultReason}` : '') }),
      el('p', { className: 'since', dataset: { at: p.loadedAt || '' }, textContent: `last swap ${ago(p.loadedAt)}` }),
      el('p', { textContent: `hit rate ${rate}` }));
  });
  $('#partitions').replaceChildren(...cards);
}

function renderJobs() {
  const rows = [...jobs.values()].sort((a, b) => (b.acceptedAt || '').localeCompare(a.acceptedAt || '')).slice(0, 50).map(j => {
    const now = Date.now();
    const t = at => at ? new Date(at).getTime() : null;
    const wait = t(j.startedAt) ? t(j.startedAt) - t(j.acceptedAt) : (j.state === 'queued' && j.acceptedAt ? now - t(j.acceptedAt) : null);
    const run = t(j.startedAt) ? (t(j.finishedAt) || now) - t(j.startedAt) : null;
    const result = j.state === 'completed'
      ? el('button', { type: 'button', className: 'secondary', textContent: 'Download', ariaLabel: `Download the result of job ${j.id}`, onclick: () => download(j.id) })
      : (j.error || '');
    return el('tr', { dataset: { job: j.id, state: j.state } },
      el('td', { className: 'id', title: j.id, textContent: j.id.slice(0, 8) }), el('td', { textContent: j.module }),
      el('td', { className: 'state', textContent: j.state }), el('td', { textContent: j.partition || '' }),
      el('td', { textContent: ms(wait) }), el('td', { textContent: ms(run) }), el('td', {}, result));
  });
  $('#jobs tbody').replaceChildren(...rows);
  $('#jobs-empty').hidden = rows.length > 0;
}

// The chart is uPlot's (vendored, docs/dashboard.md): made anew when a module first shows, else given new data.
// Whole jobs only on the y axis (its steps).
function renderQueues() {
  const box = $('#queue-chart');
  const names = [...modules].sort();
  const last = samples.length ? samples[samples.length - 1].queued : {};
  const max = Math.max(0, ...samples.flatMap(s => Object.values(s.queued)));
  // The last sample holds until now.
  const xs = [...samples.map(s => s.at / 1000), Date.now() / 1000];
  const data = [xs, ...names.map(m => [...samples.map(s => s.queued[m] || 0), last[m] || 0])];
  if (!chart || chart.dprModules !== names.join()) {
    if (chart) chart.destroy();
    chart = new uPlot({
      width: box.clientWidth || 600,
      height: 160,
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: { time: true, range: () => [Date.now() / 1000 - HISTORY_MS / 1000, Date.now() / 1000] },
        y: { range: (u, low, high) => [0, Math.max(1, high)] },
      },
      axes: [{ stroke: '#1a1a1a', grid: { stroke: '#e4e4e0' } }, { stroke: '#1a1a1a', grid: { stroke: '#e4e4e0' }, size: 40, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] }],
      series: [{}, ...names.map((m, i) => ({ label: m, stroke: COLORS[i % COLORS.length], width: 2, paths: uPlot.paths.stepped({ align: 1 }) }))],
    }, data, box);
    chart.dprModules = names.join();
  } else {
    chart.setData(data);
  }
  $('#queue-legend').replaceChildren(...names.map((m, i) => {
    const swatch = el('span');
    swatch.style.background = COLORS[i % COLORS.length];
    return el('li', {}, swatch, `${m}: ${last[m] || 0}`);
  }));
  const total = Object.values(last).reduce((a, b) => a + b, 0);
  $('#queue-summary').textContent = `${total} jobs queued now (peak ${max} in the last 5 minutes).`;
}

async function loadJobs() {
  const list = await (await api('/v1/jobs?limit=50')).json();
  for (const j of list.jobs) jobs.set(j.id, { ...jobs.get(j.id), ...j });
  renderJobs();
}

async function loadModules() {
  const list = await (await api('/v1/modules')).json();
  window.dprModules = list.modules;
  fillPartitionSelect();
}

async function loadTenants() {
  const list = await (await api('/v1/tenants')).json();
  $('#tenants tbody').replaceChildren(...list.tenants.map(t => el('tr', {},
    el('td', { textContent: t.name }), el('td', { textContent: t.admin ? 'admin' : 'tenant' }), el('td', { textContent: new Date(t.created).toLocaleDateString() }))));
}

function fillPartitionSelect() {
  const select = $('#load-partition');
  const chosen = select.value;
  select.replaceChildren(...[...partitions.keys()].sort().map(p => el('option', { value: p, textContent: p })));
  if (chosen) select.value = chosen;
  const fit = (window.dprModules || []).filter(m => m.partition === select.value);
  const module = $('#load-module');
  const pick = module.value;
  module.replaceChildren(...fit.map(m => el('option', { value: m.name, textContent: m.alias ? `${m.name} (${m.alias})` : m.name })));
  if (pick) module.value = pick;
}

async function download(id) {
  const response = await api(`/v1/jobs/${id}/result`);
  const blob = new Blob([await response.text()], { type: 'application/json' });
  const link = el('a', { href: URL.createObjectURL(blob), download: `${id}.json` });
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(link.href);
}

async function adminAction(path, body) {
  $('#admin-result').textContent = 'Working…';
  const response = await api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  const answer = await response.json();
  $('#admin-result').textContent = response.ok ? `Done: ${answer.partition} holds ${answer.module || 'nothing'}` : `Refused: ${answer.detail}`;
}

document.addEventListener('DOMContentLoaded', () => {
  $('#signin').addEventListener('submit', e => { e.preventDefault(); signIn($('#key').value.trim()); });
  $('#signout').addEventListener('click', () => signOut('Signed out.'));
  $('#load-partition').addEventListener('change', fillPartitionSelect);
  $('#load').addEventListener('submit', e => {
    e.preventDefault();
    adminAction(`/v1/regions/${encodeURIComponent($('#load-partition').value)}/load`, { module: $('#load-module').value });
  });
  window.addEventListener('resize', () => { if (chart) chart.setSize({ width: $('#queue-chart').clientWidth, height: 160 }); });
  $('#reset').addEventListener('click', () => adminAction(`/v1/regions/${encodeURIComponent($('#load-partition').value)}/reset`));
  setInterval(() => {
    for (const p of document.querySelectorAll('.partition .since')) p.textContent = `last swap ${ago(p.dataset.at)}`;
    if (samples.length) renderQueues();
  }, 1000);
  if (key) signIn(key).then(ok => { if (!ok) signOut('Your saved key is no longer accepted.'); });
  else $('#key').focus();
});
