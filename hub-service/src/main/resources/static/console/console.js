'use strict';
// The hub console: a static page over the admin REST API. The access token stays in this tab's sessionStorage and
// goes only to this hub's /api/v1; the API decides what the caller's roles allow, the page only shows its answers.
// Data is always written with textContent, never as HTML.

const TOKEN_KEY = 'fedmerge.console.token';
const LOGIN_KEY = 'fedmerge.console.login';
const VIEWS = ['rounds', 'nodes', 'tokens', 'base-models', 'audit'];
let refreshTimer = null;
let following = null;
let methods = null;
let shownContributions = -1;

async function call(method, path, body) {
  const headers = { Authorization: 'Bearer ' + sessionStorage.getItem(TOKEN_KEY) };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch('/api/v1' + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (notJson) {
    data = null;
  }
  if (!response.ok) {
    const detail = data && data.detail ? data.detail : 'the hub answered ' + response.status;
    const error = new Error(detail);
    error.status = response.status;
    throw error;
  }
  return data;
}

function showProblem(message) {
  const box = document.getElementById('problem');
  box.textContent = message;
  box.hidden = false;
}

function clearProblem() {
  const box = document.getElementById('problem');
  box.textContent = '';
  box.hidden = true;
}

/** Runs an action; a refusal or failure is shown in the alert region instead of being lost. */
async function attempt(action) {
  try {
    clearProblem();
    await action();
  } catch (e) {
    if (e.status === 401) {
      signOut('Your token was refused (' + e.message + '). Sign in again.');
      return;
    }
    showProblem(e.message);
  }
}

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined || text === '' ? '–' : String(text);
  if (className) {
    td.className = className;
  }
  row.appendChild(td);
  return td;
}

function button(td, label, onClick, description) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'secondary';
  b.textContent = label;
  if (description) {
    b.setAttribute('aria-label', description);
  }
  b.addEventListener('click', () => attempt(onClick));
  td.appendChild(b);
}

function fill(tableId, items, render) {
  const body = document.querySelector('#' + tableId + ' tbody');
  body.replaceChildren();
  for (const item of items) {
    const row = document.createElement('tr');
    render(row, item);
    body.appendChild(row);
  }
}

const views = {
  async rounds() {
    const rounds = await call('GET', '/rounds');
    rounds.sort((a, b) => (b.round.createdAt || '').localeCompare(a.round.createdAt || ''));
    fill('rounds-table', rounds, (row, view) => {
      const r = view.round;
      row.dataset.round = r.id;
      cell(row, r.id);
      cell(row, r.mergeMethod);
      cell(row, r.state, 'state');
      cell(row, view.contributions + ' of ' + r.minContributions + ' needed');
      cell(row, r.reason);
      const actions = cell(row, '');
      actions.textContent = '';
      button(actions, 'Details', () => follow(r.id), 'Details of round ' + r.id);
      if (r.state === 'OPEN') {
        button(actions, 'Merge now', async () => {
          await call('POST', '/rounds/' + r.id + '/trigger');
          await views.rounds();
        }, 'Merge round ' + r.id + ' now');
        button(actions, 'Cancel', async () => {
          await call('POST', '/rounds/' + r.id + '/cancel', { reason: 'cancelled in the console' });
          await views.rounds();
        }, 'Cancel round ' + r.id);
      }
    });
    if (methods === null) {
      await loadMethods();
    }
    const select = document.getElementById('round-base');
    if (select.options.length === 0) {
      // replace rather than append: the 2-second refresh may run this twice before the first answer arrives
      const bases = await call('GET', '/base-models');
      select.replaceChildren(...bases.map((base) => {
        const option = document.createElement('option');
        option.textContent = base.name;
        return option;
      }));
    }
  },

  async nodes() {
    const nodes = await call('GET', '/nodes');
    // With mutual TLS each node holds client certificates; the latest valid one says until when it can connect.
    const until = await Promise.all(nodes.map(async (n) => {
      const valid = (await call('GET', '/nodes/' + n.id + '/certificates')).filter((c) => !c.revokedAt);
      return valid.length ? valid.map((c) => c.notAfter).sort().pop() : null;
    }));
    fill('nodes-table', nodes.map((n, i) => ({ ...n, certificateUntil: until[i] })), (row, n) => {
      cell(row, n.name);
      cell(row, n.site);
      cell(row, n.lastSeen || 'never');
      cell(row, n.certificateUntil || 'no certificate');
      cell(row, n.revoked ? 'revoked' : 'active');
      const actions = cell(row, '');
      actions.textContent = '';
      if (!n.revoked) {
        button(actions, 'Revoke', async () => {
          await call('DELETE', '/nodes/' + n.id);
          await views.nodes();
        }, 'Revoke node ' + n.name);
      }
    });
  },

  async tokens() {
    fill('tokens-table', await call('GET', '/enrollment-tokens'), (row, t) => {
      cell(row, t.note);
      cell(row, t.site);
      cell(row, t.expiresAt);
      cell(row, t.usedBy);
      cell(row, t.revoked ? 'revoked' : t.usedAt ? 'used' : 'unused');
      const actions = cell(row, '');
      actions.textContent = '';
      if (!t.revoked && !t.usedAt) {
        button(actions, 'Revoke', async () => {
          await call('DELETE', '/enrollment-tokens/' + t.id);
          await views.tokens();
        }, 'Revoke token ' + (t.note || t.id));
      }
    });
  },

  async 'base-models'() {
    fill('bases-table', await call('GET', '/base-models'), (row, b) => {
      cell(row, b.name);
      cell(row, b.path);
      cell(row, b.tensors);
      cell(row, b.digest, 'digest');
    });
  },

  async audit() {
    const page = await call('GET', '/audit?limit=100');
    fill('audit-table', page.entries, (row, e) => {
      cell(row, e.at);
      cell(row, e.actor);
      cell(row, e.action);
      cell(row, e.subject);
      cell(row, e.source);
    });
  },
};

/** The methods and their parameter definitions, as the hub validates them, for the round form. */
async function loadMethods() {
  methods = await call('GET', '/merge-methods');
  const select = document.getElementById('round-method');
  select.replaceChildren();
  for (const m of methods) {
    const option = document.createElement('option');
    option.textContent = m.name;
    select.appendChild(option);
  }
  select.value = methods.some((m) => m.name === 'task_arithmetic') ? 'task_arithmetic' : methods[0].name;
  renderParameters();
}

function renderParameters() {
  const method = methods.find((m) => m.name === document.getElementById('round-method').value);
  for (const scope of ['GLOBAL', 'PER_MODEL']) {
    const set = document.getElementById(scope === 'GLOBAL' ? 'round-global' : 'round-per-model');
    set.replaceChildren(set.querySelector('legend'));
    const own = method.parameters.filter((p) => p.scope === scope);
    set.hidden = own.length === 0;
    for (const p of own) {
      set.append(...parameterField(p));
    }
  }
}

/** A label and a control for one parameter, with its range and default as the control's description. */
function parameterField(p) {
  const id = 'param-' + p.scope + '-' + p.name;
  const label = document.createElement('label');
  label.htmlFor = id;
  label.textContent = p.name + (p.required ? ' (required)' : '');
  let control;
  if (p.kind === 'CHOICE') {
    control = document.createElement('select');
    for (const c of p.choices) {
      const option = document.createElement('option');
      option.textContent = c;
      control.appendChild(option);
    }
    control.value = p.defaultValue;
  } else if (p.kind === 'BOOLEAN') {
    control = document.createElement('input');
    control.type = 'checkbox';
    control.checked = p.defaultValue === true;
  } else {
    control = document.createElement('input');
    control.type = 'number';
    control.step = 'any';
    control.required = p.required;
    if (p.defaultValue !== null) {
      control.placeholder = String(p.defaultValue);
    }
  }
  control.id = id;
  control.dataset.parameter = p.name;
  control.dataset.scope = p.scope;
  control.dataset.kind = p.kind;
  const hint = document.createElement('span');
  hint.id = id + '-hint';
  hint.className = 'hint';
  hint.textContent = p.range + (p.defaultValue === null ? '' : '; default ' + p.defaultValue);
  control.setAttribute('aria-describedby', hint.id);
  const wrapper = document.createElement('div');
  wrapper.append(control, hint);
  return [label, wrapper];
}

/** The values an admin set (a blank field leaves the method's default to the hub). */
function parameterValues(scope) {
  const values = {};
  for (const control of document.querySelectorAll('[data-scope="' + scope + '"]')) {
    const name = control.dataset.parameter;
    if (control.dataset.kind === 'BOOLEAN') {
      values[name] = control.checked;
    } else if (control.dataset.kind === 'CHOICE') {
      values[name] = control.value;
    } else if (control.value.trim() !== '') {
      values[name] = Number(control.value);
    }
  }
  return values;
}

/**
 * Follows one round over the hub's server-sent events (read with fetch: EventSource cannot send the bearer token)
 * and, once it has ended, shows where the hospitals agreed.
 */
async function follow(roundId) {
  stopFollowing();
  const detail = document.getElementById('round-detail');
  document.getElementById('round-detail-title').textContent = 'Round ' + roundId;
  document.getElementById('heatmap-area').hidden = true;
  document.getElementById('no-units').hidden = true;
  document.querySelector('#contributions tbody').replaceChildren();
  shownContributions = -1;
  detail.hidden = false;
  const controller = new AbortController();
  following = controller;
  const response = await fetch('/api/v1/rounds/' + roundId + '/events', {
    headers: { Authorization: 'Bearer ' + sessionStorage.getItem(TOKEN_KEY) }, signal: controller.signal,
  });
  if (!response.ok) {
    const error = new Error('the hub answered ' + response.status + ' for the round\'s events');
    error.status = response.status;
    throw error;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        return;
      }
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        await onEvent(roundId, buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  } catch (e) {
    if (e.name !== 'AbortError') {
      throw e;
    }
  }
}

function stopFollowing() {
  if (following) {
    following.abort();
    following = null;
  }
}

async function onEvent(roundId, block) {
  const lines = block.split('\n');
  const name = lines.filter((l) => l.startsWith('event:')).map((l) => l.slice(6).trim())[0];
  const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join('\n');
  if (name !== 'round' || !data) {
    return;
  }
  const view = JSON.parse(data);
  const r = view.round;
  document.getElementById('round-live').textContent = r.state + ' — ' + view.contributions + ' of '
      + r.minContributions + ' contributions' + (r.reason ? ' — ' + r.reason : '');
  const stateCell = document.querySelector('#rounds-table tr[data-round="' + roundId + '"] td.state');
  if (stateCell) {
    stateCell.textContent = r.state;
  }
  if (view.contributions !== shownContributions) {
    shownContributions = view.contributions;
    await showContributions(roundId);
  }
  showEvaluation(r.artifact && r.artifact.evaluation ? r.artifact.evaluation.outcome : null);
  if (['PUBLISHED', 'FAILED', 'CANCELLED', 'REJECTED'].includes(r.state)) {
    showUnits(await call('GET', '/rounds/' + roundId + '/units'));
  }
}

/**
 * Blue for agreement, red for conflict, white for none, at most 60 % strength so the dark number in every cell keeps
 * a contrast above 4.5:1 (WCAG AA); the number is always written too (not colour alone).
 */
function cosineColour(c) {
  const t = Math.max(-1, Math.min(1, c)) * 0.6;
  const mix = (to) => Math.round(255 + (to - 255) * Math.abs(t));
  return t >= 0 ? 'rgb(' + mix(33) + ',' + mix(102) + ',' + mix(172) + ')'
      : 'rgb(' + mix(178) + ',' + mix(24) + ',' + mix(43) + ')';
}

function heat(row, value, colour) {
  const td = cell(row, value.toFixed(3), 'heat');
  td.style.background = colour;
}

/** Nodes by their pseudonymous id; a node this admin may not see (another site's) keeps its id. */
async function showContributions(roundId) {
  const [contributions, nodes] = await Promise.all([call('GET', '/rounds/' + roundId + '/contributions'),
    call('GET', '/nodes')]);
  const names = new Map(nodes.map((n) => [n.id, n.name]));
  fill('contributions', contributions, (row, c) => {
    cell(row, names.get(c.nodeId) || c.nodeId);
    cell(row, c.adapter ? 'LoRA adapter' : 'task vector');
    cell(row, (c.bytes / 1e6).toFixed(1) + ' MB');
    cell(row, c.sha256, 'digest');
  });
}

function showEvaluation(outcome) {
  document.getElementById('evaluation-area').hidden = !outcome;
  if (!outcome) {
    return;
  }
  fill('evaluation', outcome.candidates, (row, c) => {
    cell(row, c.candidate + (c.candidate === outcome.chosen ? ' (published)' : ''));
    cell(row, c.mergeMethod);
    cell(row, c.overall.toFixed(4));
    cell(row, c.worstRegression.toFixed(4));
    cell(row, c.passed ? 'held' : 'failed');
  });
  document.getElementById('evaluation-reason').textContent = outcome.metric + ' over ' + outcome.sites
      + ' site(s), current model ' + outcome.referenceOverall.toFixed(4) + ': ' + outcome.reason;
}

function showUnits(units) {
  document.getElementById('no-units').hidden = units.length > 0;
  document.getElementById('heatmap-area').hidden = units.length === 0;
  fill('heatmap', units, (row, u) => {
    cell(row, u.unit);
    heat(row, u.cosine, cosineColour(u.cosine));
    heat(row, u.weight, cosineColour(u.weight));
    cell(row, u.permuted.length ? u.permuted.length + ' contribution(s)' : '');
  });
}

function currentView() {
  const name = location.hash.replace('#', '');
  return VIEWS.includes(name) ? name : 'rounds';
}

async function show() {
  const name = currentView();
  for (const view of VIEWS) {
    document.getElementById(view).hidden = view !== name;
  }
  for (const link of document.querySelectorAll('#tabs a')) {
    if (link.getAttribute('href') === '#' + name) {
      link.setAttribute('aria-current', 'page');
    } else {
      link.removeAttribute('aria-current');
    }
  }
  clearInterval(refreshTimer);
  stopFollowing();
  document.getElementById('round-detail').hidden = true;
  await attempt(views[name]);
  if (name === 'rounds') {
    refreshTimer = setInterval(() => attempt(views.rounds), 2000);
  }
}

async function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    const me = await call('GET', '/me');
    document.getElementById('who').textContent = 'Signed in as ' + me.name + ' (' + me.roles.join(', ')
        + (me.site ? ', site ' + me.site : '') + ')';
  } catch (e) {
    signOut(e.status === 403 ? 'This token carries no fedmerge role (network-admin, site-admin or auditor).'
        : 'Sign-in failed: ' + e.message);
    return;
  }
  document.getElementById('sign-in').hidden = true;
  document.getElementById('tabs').hidden = false;
  document.getElementById('sign-out').hidden = false;
  await show();
}

function signOut(message) {
  clearInterval(refreshTimer);
  stopFollowing();
  sessionStorage.removeItem(TOKEN_KEY);
  for (const view of VIEWS) {
    document.getElementById(view).hidden = true;
  }
  document.getElementById('tabs').hidden = true;
  document.getElementById('sign-out').hidden = true;
  document.getElementById('who').textContent = '';
  document.getElementById('sign-in').hidden = false;
  if (message) {
    showProblem(message);
  } else {
    clearProblem();
  }
}

// Signing in at the identity provider: authorization code with PKCE, the browser being a public client. The code
// verifier and state live in sessionStorage for the one round trip; the access token is then used as a pasted one.

function base64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function consolePage() {
  return location.origin + '/console/';
}

async function discovery(issuer) {
  const response = await fetch(issuer.replace(/\/$/, '') + '/.well-known/openid-configuration');
  if (!response.ok) {
    throw new Error('the identity provider at ' + issuer + ' answered ' + response.status);
  }
  return response.json();
}

async function startProviderSignIn(provider) {
  if (!window.crypto || !crypto.subtle) {
    throw new Error('this page is not in a secure context (serve the hub over HTTPS) so it cannot sign in at the'
        + ' identity provider; paste an access token instead');
  }
  const config = await discovery(provider.issuer);
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256',
      new TextEncoder().encode(verifier))));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(LOGIN_KEY, JSON.stringify({ verifier, state, tokenEndpoint: config.token_endpoint }));
  const url = new URL(config.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code', client_id: provider.clientId, redirect_uri: consolePage(), scope: 'openid',
    state, code_challenge: challenge, code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/** Completes a sign-in the identity provider sent back here (?code=…&state=…); false when there is none. */
async function finishProviderSignIn(provider) {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) {
    return false;
  }
  const pending = JSON.parse(sessionStorage.getItem(LOGIN_KEY) || 'null');
  sessionStorage.removeItem(LOGIN_KEY);
  history.replaceState(null, '', location.pathname + location.hash);
  if (params.has('error')) {
    showProblem('The identity provider did not sign you in: ' + params.get('error'));
    return true;
  }
  if (!pending || pending.state !== params.get('state')) {
    showProblem('This sign-in answer does not belong to a sign-in started here; sign in again.');
    return true;
  }
  const response = await fetch(pending.tokenEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: params.get('code'), redirect_uri: consolePage(),
      client_id: provider.clientId, code_verifier: pending.verifier,
    }).toString(),
  });
  const tokens = await response.json();
  if (!response.ok || !tokens.access_token) {
    showProblem('The identity provider issued no token: ' + (tokens.error_description || tokens.error
        || response.status));
    return true;
  }
  await signIn(tokens.access_token);
  return true;
}

async function providerSignIn() {
  const response = await fetch('/console/sign-in.json');
  const provider = response.ok ? await response.json() : {};
  if (!provider.issuer) {
    return false;
  }
  document.getElementById('provider-sign-in').hidden = false;
  document.getElementById('sign-in-provider').addEventListener('click',
      () => attempt(() => startProviderSignIn(provider)));
  return finishProviderSignIn(provider);
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const field = document.getElementById('token');
    const token = field.value.trim();
    field.value = '';
    signIn(token);
  });
  document.getElementById('sign-out').addEventListener('click', () => signOut());
  window.addEventListener('hashchange', show);
  document.getElementById('round-method').addEventListener('change', renderParameters);

  document.getElementById('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    attempt(async () => {
      const body = { ttlMinutes: Number(document.getElementById('token-ttl').value) };
      const note = document.getElementById('token-note').value.trim();
      const site = document.getElementById('token-site').value.trim();
      if (note) {
        body.note = note;
      }
      if (site) {
        body.site = site;
      }
      const minted = await call('POST', '/enrollment-tokens', body);
      document.getElementById('minted-token').textContent = minted.token;
      document.getElementById('minted').hidden = false;
      await views.tokens();
    });
  });
  document.getElementById('copy-token').addEventListener('click', () => attempt(() =>
    navigator.clipboard.writeText(document.getElementById('minted-token').textContent)));

  document.getElementById('round-form').addEventListener('submit', (event) => {
    event.preventDefault();
    attempt(async () => {
      const invited = document.getElementById('round-invited').value.split(',').map((s) => s.trim())
          .filter((s) => s);
      await call('POST', '/rounds', {
        baseModel: document.getElementById('round-base').value,
        mergeMethod: document.getElementById('round-method').value,
        parameters: parameterValues('GLOBAL'),
        modelParameters: parameterValues('PER_MODEL'),
        minContributions: Number(document.getElementById('round-min').value),
        invitedNodes: invited,
      });
      await views.rounds();
    });
  });

  attempt(async () => {
    if (await providerSignIn()) {
      return;
    }
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) {
      await signIn(saved);
    }
  });
});
