'use strict';
// The hub console: a static page over the admin REST API. The access token stays in this tab's sessionStorage and
// goes only to this hub's /api/v1; the API decides what the caller's roles allow, the page only shows its answers.
// Data is always written with textContent, never as HTML.

const TOKEN_KEY = 'fedmerge.console.token';
const VIEWS = ['rounds', 'nodes', 'tokens', 'base-models', 'audit'];
let refreshTimer = null;

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
    const select = document.getElementById('round-base');
    if (select.options.length === 0) {
      for (const base of await call('GET', '/base-models')) {
        const option = document.createElement('option');
        option.textContent = base.name;
        select.appendChild(option);
      }
    }
  },

  async nodes() {
    fill('nodes-table', await call('GET', '/nodes'), (row, n) => {
      cell(row, n.name);
      cell(row, n.site);
      cell(row, n.lastSeen || 'never');
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

function json(field) {
  const text = document.getElementById(field).value.trim();
  try {
    return text ? JSON.parse(text) : {};
  } catch (e) {
    const error = new Error(document.querySelector('label[for="' + field + '"]').textContent
        + ' must be a JSON object, e.g. {"weight": 1}');
    throw error;
  }
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
        parameters: json('round-parameters'),
        modelParameters: json('round-model-parameters'),
        minContributions: Number(document.getElementById('round-min').value),
        invitedNodes: invited,
      });
      await views.rounds();
    });
  });

  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) {
    signIn(saved);
  }
});
