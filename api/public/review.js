// The review console (DESIGN §12): the queue of parked records, one record's case, and the resolve
// actions. Plain browser JavaScript, no build step; everything from the API goes into the page as
// text (textContent), never as HTML. Messages name records by id and quote only the server's
// problem `detail`, never record text or model output.

const POLL_MS = 5000;
const $ = (id) => document.getElementById(id);
const state = { open: undefined, record: undefined, busy: false, outputSchema: undefined, unanswered: new Map() };

const apiKey = () => $('api-key').value.trim();
/** A record's path id: `<account>/<id>` names it for an operator key of that account and for an admin key alike. */
const pathOf = (record) => encodeURIComponent(`${record.account}/${record.id}`);

async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { Authorization: `Bearer ${apiKey()}`, ...(init.body ? { 'Content-Type': 'application/json' } : {}), ...init.headers } });
  const body = await res.json().catch(() => null);
  return { ok: res.ok, status: res.status, body };
}

/** What a refusal says: the problem's `detail` (and, for a 400, the fields its issues name). */
function problemText(answer) {
  if (answer.status === 401) return 'The API key was refused.';
  const body = answer.body ?? {};
  const detail = body.detail ?? `HTTP ${answer.status}`;
  const fields = (body.issues ?? []).map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
  return fields.length ? `${detail} (${fields.join('; ')})` : detail;
}

function cell(row, text) {
  const td = row.insertCell();
  td.textContent = text ?? '';
  return td;
}

function text(id, value) {
  $(id).textContent = value ?? '—';
}

// ---------- views ----------

function showView(viewId) {
  for (const tab of document.querySelectorAll('.view-tab')) {
    const current = tab.dataset.view === viewId;
    $(tab.dataset.view).hidden = !current;
    if (current) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
  if (viewId === 'review-view') void refreshQueue();
}

// ---------- the queue ----------

function renderCounts(summary) {
  $('review-total').textContent = summary ? String(summary.parked) : '';
  const list = $('reason-counts');
  list.replaceChildren();
  if (!summary) return;
  const step = $('step-filter').value;
  const perReason = new Map();
  for (const g of summary.groups) {
    if (step && g.step !== step) continue;
    perReason.set(g.reason ?? 'unknown', (perReason.get(g.reason ?? 'unknown') ?? 0) + g.count);
  }
  for (const [reason, count] of [...perReason].sort((a, b) => b[1] - a[1])) {
    const item = document.createElement('li');
    item.dataset.reason = reason;
    const number = document.createElement('b');
    number.textContent = String(count);
    item.append(`${reason} `, number);
    list.append(item);
  }
  if (perReason.size === 0) list.append(Object.assign(document.createElement('li'), { textContent: 'nothing waiting' }));
}

function renderQueue(records) {
  const body = document.createElement('tbody');
  for (const r of records) {
    const row = body.insertRow();
    row.dataset.id = r.id;
    if (state.open && state.open.id === r.id && state.open.account === r.account) row.setAttribute('aria-selected', 'true');
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'link';
    open.textContent = r.id;
    open.setAttribute('aria-label', `Review record ${r.id}`);
    open.addEventListener('click', () => void openCase(r));
    row.insertCell().append(open);
    cell(row, r.reason);
    cell(row, r.step);
    cell(row, String(r.attempts));
    cell(row, new Date(r.updatedAt).toLocaleString());
  }
  // Re-rendering replaces the buttons: keep the keyboard where it was.
  const focused = document.activeElement && $('queue').contains(document.activeElement) ? document.activeElement.closest('tr')?.dataset.id : undefined;
  $('queue').tBodies[0].replaceWith(body);
  if (focused) body.querySelector(`tr[data-id="${CSS.escape(focused)}"] button`)?.focus();
}

async function refreshQueue() {
  if ($('review-view').hidden) return;
  if (!apiKey()) {
    $('queue-message').textContent = 'Enter an API key with the operate role to review records.';
    return;
  }
  const query = new URLSearchParams({ status: 'needs_investigation', limit: '200' });
  if ($('reason-filter').value) query.set('reason', $('reason-filter').value);
  if ($('step-filter').value) query.set('step', $('step-filter').value);
  try {
    const [list, summary] = await Promise.all([api(`/v1/records?${query}`), api('/v1/review/summary')]);
    if (!list.ok) {
      $('queue-message').textContent = problemText(list);
      return;
    }
    renderQueue(list.body.records);
    renderCounts(summary.ok ? summary.body : undefined);
    $('queue-message').textContent = summary.ok
      ? `${list.body.records.length} shown, refreshed ${new Date().toLocaleTimeString()}`
      : `${list.body.records.length} shown; ${problemText(summary)}`;
  } catch {
    $('queue-message').textContent = 'The API is not reachable; retrying.';
  }
}

// ---------- a case ----------

function renderCalls(calls) {
  const body = document.createElement('tbody');
  for (const c of calls) {
    const row = body.insertRow();
    row.className = `outcome-${c.outcome}`;
    cell(row, c.provider);
    cell(row, c.model);
    cell(row, String(c.attempt));
    cell(row, c.repaired ? `${c.outcome} (repaired)` : c.outcome);
    cell(row, `${c.latencyMs} ms`);
    cell(row, `${c.costMicros} micros`);
  }
  $('case-calls').tBodies[0].replaceWith(body);
}

function renderEvents(events) {
  const body = document.createElement('tbody');
  for (const e of events) {
    const row = body.insertRow();
    cell(row, new Date(e.createdAt).toLocaleString());
    cell(row, `${e.fromStatus ?? '∅'} → ${e.toStatus}`);
    cell(row, e.step);
    cell(row, e.detail && e.detail.keyId ? `${e.actor} (key ${e.detail.keyId})` : e.actor);
    cell(row, e.detail ? JSON.stringify(e.detail) : '');
  }
  $('case-events').tBodies[0].replaceWith(body);
}

const money = (charge) => (charge ? `${(charge.amountCents / 100).toFixed(2)} ${charge.currency}, ${charge.status}` : 'none');

/** Which actions fit the record as it stands; the workflow decides, this only spares a certain refusal. */
function fitting(record) {
  const parked = record.status === 'needs_investigation';
  const low = record.reason === 'low_confidence';
  return {
    approve: parked && low,
    retry: parked && !low,
    correct: parked && record.step === 'inference',
    abandon: parked,
  };
}

function hintFor(record) {
  if (record.status !== 'needs_investigation') return `This record is ${record.status}: nothing to resolve.`;
  if (record.reason === 'low_confidence') return 'The model was unsure: approve its output as the result, correct it, or abandon the record.';
  if (record.step === 'inference') return 'Retry runs the step again with a fresh retry budget; Correct sets the output yourself; Abandon refunds.';
  return `Retry runs the ${record.step} step again with a fresh retry budget; Abandon refunds the charge.`;
}

function setButtons() {
  const allowed = state.record ? fitting(state.record) : {};
  for (const button of document.querySelectorAll('.actions button')) button.disabled = state.busy || !allowed[button.dataset.action];
}

function renderCase(record) {
  state.record = record;
  text('case-id', record.id);
  text('case-status', record.status);
  $('case-status').className = `status status-${record.status}`;
  text('case-reason', record.reason);
  text('case-step', record.step);
  text('case-attempts', String(record.attempts));
  text('case-last-error', record.lastError);
  text('case-charge', money(record.charge));
  text('case-result', record.result ? `${record.result.source} (tier ${record.result.tier})` : 'none yet');
  text('case-input', record.input.text);
  const output = record.modelOutput;
  text('case-output', output ? JSON.stringify(output.output, null, 2) : 'no model output stored');
  text('case-confidence', output ? `confidence ${output.confidence} from ${output.provider}` : '');
  renderCalls(record.calls);
  renderEvents(record.events);
  text('actions-hint', hintFor(record));
  setButtons();
}

/** Shows the record's case; on an error answer, the reason, for the caller to show or not. */
async function loadCase(ref) {
  const answer = await api(`/v1/records/${pathOf(ref)}`);
  if (!answer.ok) return problemText(answer);
  renderCase(answer.body);
  return undefined;
}

async function openCase(ref) {
  state.open = { id: ref.id, account: ref.account };
  closeForms();
  $('review-message').textContent = '';
  delete $('review-message').dataset.outcome;
  const problem = await loadCase(ref);
  if (problem) {
    $('review-message').textContent = problem;
    return;
  }
  $('case').hidden = false;
  for (const row of $('queue').tBodies[0].rows) row.toggleAttribute('aria-selected', row.dataset.id === ref.id);
  $('case-title').focus();
}

// ---------- actions ----------

function closeForms() {
  $('correct-form').hidden = true;
  $('abandon-form').hidden = true;
  $('correct-issues').replaceChildren();
}

/** Back to the button that opened the form, so the keyboard does not fall to the top of the page. */
function cancelForm() {
  const opener = $('abandon-form').hidden ? $('action-correct') : $('action-abandon');
  closeForms();
  opener.focus();
}

/**
 * The Idempotency-Key of each decision sent and not answered (a 5xx, or an answer lost): the same
 * decision sent again on the same parking reuses its key, so the resend hears the first one's
 * outcome. Random bytes, not crypto.randomUUID, which a page served over plain HTTP to another
 * host lacks.
 */
function decisionKey(record, body) {
  const decision = `${record.account}/${record.id}@${record.updatedAt} ${JSON.stringify(body)}`;
  if (!state.unanswered.has(decision)) {
    state.unanswered.set(decision, Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join(''));
  }
  return { decision, key: state.unanswered.get(decision) };
}

async function resolve(body) {
  if (state.busy || !state.record) return;
  state.busy = true;
  setButtons();
  const record = state.record;
  $('review-message').dataset.outcome = 'pending';
  $('review-message').textContent = `Sending ${body.action} for record ${record.id}…`;
  try {
    const { decision, key } = decisionKey(record, body);
    const answer = await api(`/v1/records/${pathOf(record)}/resolve`, { method: 'POST', body: JSON.stringify(body), headers: { 'Idempotency-Key': key } });
    // A 503 is the API's "sent, not answered in time"; any other 5xx (the API failing after the
    // Update was admitted, a proxy's timeout) leaves the outcome just as open, so the key is kept.
    if (answer.status >= 500) {
      const why = answer.status === 503 ? 'the workflow did not answer in time' : `the answer was an error (HTTP ${answer.status})`;
      $('review-message').textContent = `Record ${record.id}: ${body.action} sent, but ${why}; it may still take effect. Send the same decision again to hear its outcome.`;
      $('review-message').dataset.outcome = 'unknown';
      return;
    }
    state.unanswered.delete(decision);
    $('review-message').textContent = answer.ok
      ? `Record ${record.id}: ${body.action} accepted; it is now ${answer.body.status}.`
      : `Record ${record.id}: ${body.action} refused. ${problemText(answer)}`;
    $('review-message').dataset.outcome = answer.ok ? 'accepted' : 'refused';
    if (answer.ok) closeForms();
  } catch {
    $('review-message').textContent = `Record ${record.id}: the API is not reachable; nothing was sent, or the answer was lost. Send the same decision again to hear its outcome.`;
    $('review-message').dataset.outcome = 'unknown';
  } finally {
    state.busy = false;
    // Before the reload: with the API out of reach it fails too, and the decision must stay sendable
    // again. What the send's answer was stays in the message whatever the reload's is.
    setButtons();
    await loadCase(record)
      .then(refreshQueue)
      .catch(() => {});
  }
}

/** The output schema the API validates corrections with, from /openapi.json, as a zod schema. */
async function outputSchema() {
  if (!state.outputSchema) {
    const [z, doc] = await Promise.all([import('/vendor/zod/classic/external.js'), fetch('/openapi.json').then((r) => r.json())]);
    // No `new Function` probe: the page's Content-Security-Policy forbids eval and would report it.
    z.config({ jitless: true });
    state.outputSchema = z.fromJSONSchema(doc.components.schemas.ModelOutput);
  }
  return state.outputSchema;
}

function showIssues(lines) {
  const list = $('correct-issues');
  list.replaceChildren(...lines.map((line) => Object.assign(document.createElement('li'), { textContent: line })));
  $('correct-output').setAttribute('aria-invalid', lines.length ? 'true' : 'false');
}

async function sendCorrection(event) {
  event.preventDefault();
  let value;
  try {
    value = JSON.parse($('correct-output').value);
  } catch {
    showIssues(['The correction is not valid JSON.']);
    return;
  }
  const checked = (await outputSchema()).safeParse(value);
  if (!checked.success) {
    showIssues(checked.error.issues.map((i) => `${i.path.join('.') || 'output'}: ${i.message}`));
    return;
  }
  showIssues([]);
  await resolve({ action: 'correct', output: checked.data });
}

function openCorrect() {
  closeForms();
  const output = state.record.modelOutput;
  $('correct-output').value = JSON.stringify(output ? output.output : { summary: '', labels: [], confidence: 1 }, null, 2);
  $('correct-form').hidden = false;
  $('correct-output').focus();
}

function openAbandon() {
  closeForms();
  $('abandon-reason').value = '';
  $('abandon-form').hidden = false;
  $('abandon-reason').focus();
}

function sendAbandon(event) {
  event.preventDefault();
  const reason = $('abandon-reason').value.trim();
  $('abandon-reason').setAttribute('aria-invalid', reason ? 'false' : 'true');
  if (!reason) {
    $('review-message').textContent = 'Say why the record is abandoned.';
    return;
  }
  void resolve({ action: 'abandon', reason });
}

function start() {
  for (const tab of document.querySelectorAll('.view-tab')) tab.addEventListener('click', () => showView(tab.dataset.view));
  $('api-key').addEventListener('change', () => void refreshQueue());
  $('reason-filter').addEventListener('change', () => void refreshQueue());
  $('step-filter').addEventListener('change', () => void refreshQueue());
  $('queue-refresh').addEventListener('click', () => void refreshQueue());
  $('action-approve').addEventListener('click', () => void resolve({ action: 'approve' }));
  $('action-retry').addEventListener('click', () => void resolve({ action: 'retry' }));
  $('action-correct').addEventListener('click', openCorrect);
  $('action-abandon').addEventListener('click', openAbandon);
  $('correct-form').addEventListener('submit', (event) => void sendCorrection(event));
  $('abandon-form').addEventListener('submit', sendAbandon);
  for (const id of ['correct-cancel', 'abandon-cancel']) $(id).addEventListener('click', cancelForm);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && (!$('correct-form').hidden || !$('abandon-form').hidden)) cancelForm();
  });
  setInterval(() => document.hidden || void refreshQueue(), POLL_MS);
}

start();
