// The upload page: plain browser JavaScript, no build step. Everything taken from a file or the
// API goes into the page as text (textContent), never as HTML.
'use strict';

const POLL_MS = 2000;
const ATTENTION = new Set(['conflict', 'invalid', 'unavailable']);
const $ = (id) => document.getElementById(id);

const state = { config: undefined, outcomes: [] };

function apiKey() {
  return $('api-key').value.trim();
}

function cell(row, content) {
  const td = row.insertCell();
  if (content instanceof Node) td.append(content);
  else td.textContent = content ?? '';
  return td;
}

function setProgress(fraction, label) {
  $('progress').hidden = false;
  $('upload-progress').value = Math.round(fraction * 100);
  $('progress-label').textContent = label;
}

function renderOutcomes() {
  const onlyProblems = $('problems-only').checked;
  const body = document.createElement('tbody');
  for (const o of state.outcomes) {
    if (onlyProblems && !ATTENTION.has(o.outcome)) continue;
    const row = body.insertRow();
    row.className = `outcome-${o.outcome}`;
    cell(row, String(o.line));
    cell(row, o.id);
    cell(row, o.outcome);
    cell(row, o.reason);
  }
  $('outcomes').tBodies[0].replaceWith(body);
}

function showReport(report) {
  state.outcomes = report.outcomes ?? [];
  for (const [outcome, count] of Object.entries(report.counts ?? {})) {
    const target = $(`count-${outcome}`);
    if (target) target.textContent = String(count);
  }
  $('result').hidden = false;
  renderOutcomes();
}

function describe(xhr) {
  const body = xhr.response;
  if (xhr.status === 401) return 'The API key was refused.';
  return body && body.detail ? body.detail : `The upload failed (HTTP ${xhr.status || 'network error'}).`;
}

function finishUpload(xhr) {
  $('upload-button').disabled = false;
  $('progress').dataset.state = 'done';
  $('progress-label').textContent = xhr.status === 200 ? 'done' : 'stopped';
  const report = xhr.response;
  if (report && report.outcomes) showReport(report);
  if (xhr.status === 200) {
    const c = report.counts;
    $('upload-message').textContent = `${report.lines} lines: ${c.accepted} accepted, ${c.duplicate} duplicate, ${c.conflict} conflict, ${c.invalid} invalid, ${c.unavailable} unavailable.` +
      (c.unavailable ? ' The pipeline was unavailable: upload the file again later (taken lines come back as duplicates).' : '');
  } else {
    $('upload-message').textContent = describe(xhr);
  }
  void refreshRecords();
}

function upload(file) {
  const xhr = new XMLHttpRequest();
  xhr.open('POST', '/v1/uploads');
  xhr.setRequestHeader('Authorization', `Bearer ${apiKey()}`);
  xhr.responseType = 'json';
  xhr.upload.addEventListener('progress', (event) => {
    if (event.lengthComputable) setProgress(event.loaded / event.total, `uploading ${Math.round((100 * event.loaded) / event.total)} %`);
  });
  // Lines are ingested as they arrive; what the network buffered is still being ingested now.
  xhr.upload.addEventListener('load', () => {
    setProgress(1, 'uploaded; waiting for the outcome of the last lines…');
    $('progress').dataset.state = 'ingesting';
  });
  xhr.addEventListener('load', () => finishUpload(xhr));
  xhr.addEventListener('error', () => finishUpload(xhr));
  const form = new FormData();
  form.append('file', file);
  $('progress').dataset.state = 'uploading';
  setProgress(0, 'uploading');
  xhr.send(form);
}

function onSubmit(event) {
  event.preventDefault();
  const file = $('file').files[0];
  if (!file) return;
  const limit = state.config && state.config.uploadLimitBytes;
  if (limit && file.size > limit) {
    $('upload-message').textContent = `${file.name} has ${file.size} bytes; uploads are limited to ${limit} bytes. Split the file.`;
    return;
  }
  $('upload-button').disabled = true;
  $('result').hidden = true;
  $('upload-message').textContent = '';
  upload(file);
}

function workflowLink(record) {
  const link = document.createElement('a');
  link.href = record.workflowUrl;
  link.target = '_blank';
  link.rel = 'noopener';
  link.textContent = record.workflowId;
  return link;
}

function renderRecords(records) {
  const body = document.createElement('tbody');
  for (const r of records) {
    const row = body.insertRow();
    row.dataset.id = r.id;
    cell(row, r.id);
    cell(row, r.source);
    cell(row, r.status).className = `status status-${r.status}`;
    cell(row, r.step);
    cell(row, String(r.attempts));
    cell(row, new Date(r.updatedAt).toLocaleTimeString());
    cell(row, workflowLink(r));
  }
  $('records').tBodies[0].replaceWith(body);
}

async function refreshRecords() {
  if (!apiKey()) {
    $('records-message').textContent = 'Enter the API key to see the records.';
    return;
  }
  const status = $('status-filter').value;
  try {
    const query = new URLSearchParams({ limit: '100', ...(status ? { status } : {}) });
    const res = await fetch(`/v1/records?${query}`, { headers: { Authorization: `Bearer ${apiKey()}` } });
    const body = await res.json();
    if (!res.ok) {
      $('records-message').textContent = res.status === 401 ? 'The API key was refused.' : body.detail;
      return;
    }
    renderRecords(body.records);
    $('records-message').textContent = `${body.records.length} shown (newest first), refreshed ${new Date().toLocaleTimeString()}`;
  } catch {
    $('records-message').textContent = 'The API is not reachable; retrying.';
  }
}

async function loadConfig() {
  state.config = await (await fetch('/ui-config')).json();
}

// Nothing here waits for /ui-config: what is typed or submitted while it is on its way must find the
// handlers in place and must not be overwritten by the remembered key (an upload without a key is a 401).
function start() {
  $('api-key').value ||= sessionStorage.getItem('apiKey') ?? '';
  $('api-key').addEventListener('change', () => {
    sessionStorage.setItem('apiKey', apiKey());
    void refreshRecords();
  });
  $('upload-form').addEventListener('submit', onSubmit);
  $('problems-only').addEventListener('change', renderOutcomes);
  $('status-filter').addEventListener('change', () => void refreshRecords());
  void refreshRecords();
  setInterval(() => document.hidden || void refreshRecords(), POLL_MS);
  void loadConfig();
}

start();
