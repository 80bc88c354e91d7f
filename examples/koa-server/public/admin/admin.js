// The admin page: sign in as staff, read and change the token lifetimes, read the history.
// Plain browser JavaScript, no build step. Tokens live in sessionStorage (this tab only).

(() => {
  const SETTINGS = ['access_token_lifetime', 'refresh_token_lifetime'];
  const LABELS = {
    access_token_lifetime: 'Access-token lifetime',
    refresh_token_lifetime: 'Refresh-token lifetime',
  };
  const storage = window.sessionStorage;
  const $ = (id) => document.getElementById(id);

  let current = null; // the last settings response

  // ---- tokens -------------------------------------------------------------------------

  const tokens = {
    get access() {
      return storage.getItem('admin.access_token');
    },
    get refresh() {
      return storage.getItem('admin.refresh_token');
    },
    set(pair) {
      storage.setItem('admin.access_token', pair.access_token);
      storage.setItem('admin.refresh_token', pair.refresh_token);
    },
    clear() {
      storage.removeItem('admin.access_token');
      storage.removeItem('admin.refresh_token');
      storage.removeItem('admin.email');
    },
  };

  class ProblemError extends Error {
    constructor(status, problem) {
      super(problem?.detail || `Request failed (${status})`);
      this.status = status;
      this.problem = problem || {};
    }
  }

  async function send(method, path, body, withToken) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (withToken && tokens.access) headers.Authorization = `Bearer ${tokens.access}`;
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : undefined;
    if (!response.ok) throw new ProblemError(response.status, data);
    return data;
  }

  let refreshing = null;
  async function refreshTokens() {
    // One refresh at a time: a rotated refresh token must never be sent twice.
    refreshing ??= (async () => {
      try {
        if (!tokens.refresh) throw new ProblemError(401, { detail: 'Signed out.' });
        tokens.set(await send('POST', '/api/refresh/', { refresh_token: tokens.refresh }, false));
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  /** An authenticated call; on a 401 it refreshes the pair once and retries. */
  async function api(method, path, body) {
    try {
      return await send(method, path, body, true);
    } catch (error) {
      if (!(error instanceof ProblemError) || error.status !== 401) throw error;
      try {
        await refreshTokens();
      } catch {
        signedOut('Your session has ended. Please sign in again.');
        throw error;
      }
      return send(method, path, body, true);
    }
  }

  // ---- rendering ----------------------------------------------------------------------

  function humanize(seconds) {
    const units = [
      [86_400, 'day'],
      [3_600, 'hour'],
      [60, 'minute'],
      [1, 'second'],
    ];
    for (const [size, name] of units) {
      if (seconds >= size && seconds % size === 0) {
        const count = seconds / size;
        return `${count} ${name}${count === 1 ? '' : 's'}`;
      }
    }
    return `${seconds} seconds`;
  }

  function showError(element, message) {
    element.textContent = message || '';
    element.hidden = !message;
  }

  function clearFieldErrors() {
    for (const name of SETTINGS) {
      showError($(`${name}-error`), '');
      $(name).removeAttribute('aria-invalid');
    }
    showError($('settings-error'), '');
  }

  function renderSettings(settings) {
    current = settings;
    for (const name of SETTINGS) {
      const input = $(name);
      const bounds = settings.bounds[name];
      input.value = String(settings[name]);
      input.min = String(bounds.min);
      input.max = String(bounds.max);
      const container = document.querySelector(`[data-setting="${name}"]`);
      container.querySelector('[data-badge]').hidden = !settings.changed[name];
      $(`${name}-meta`).textContent =
        `${humanize(settings[name])} · default ${settings.defaults[name]} (${humanize(settings.defaults[name])})` +
        ` · allowed ${bounds.min}–${bounds.max}` +
        (settings.changed[name] ? ' · changed' : ' · default in force');
    }
  }

  function renderHistory(history) {
    const table = $('history-table');
    const body = table.querySelector('tbody');
    body.replaceChildren();
    for (const entry of history) {
      const row = document.createElement('tr');
      const when = document.createElement('td');
      const time = document.createElement('time');
      time.dateTime = entry.changed_at;
      time.textContent = new Date(entry.changed_at).toLocaleString();
      time.title = entry.changed_at;
      when.append(time);
      const who = document.createElement('td');
      who.textContent =
        entry.changed_by === null ? 'system' : entry.changed_by.email || `user #${entry.changed_by.id}`;
      const setting = document.createElement('td');
      setting.textContent = LABELS[entry.setting] || entry.setting;
      const oldValue = document.createElement('td');
      oldValue.className = 'num';
      oldValue.textContent = String(entry.old_value);
      const newValue = document.createElement('td');
      newValue.className = 'num';
      newValue.textContent = String(entry.new_value);
      row.append(when, who, setting, oldValue, newValue);
      body.append(row);
    }
    table.hidden = history.length === 0;
    $('history-empty').hidden = history.length !== 0;
  }

  async function load() {
    const [settings, history] = await Promise.all([
      api('GET', '/api/admin/settings/'),
      api('GET', '/api/admin/settings/history/?limit=100'),
    ]);
    renderSettings(settings);
    renderHistory(history.history);
  }

  function signedIn(email) {
    $('sign-in-section').hidden = true;
    $('settings-section').hidden = false;
    $('history-section').hidden = false;
    $('sign-out').hidden = false;
    $('whoami').hidden = !email;
    $('whoami').textContent = email ? `Signed in as ${email}` : '';
  }

  function signedOut(message) {
    tokens.clear();
    current = null;
    $('sign-in-section').hidden = false;
    $('settings-section').hidden = true;
    $('history-section').hidden = true;
    $('sign-out').hidden = true;
    $('whoami').hidden = true;
    showError($('sign-in-error'), message || '');
  }

  // ---- actions ------------------------------------------------------------------------

  async function onSignIn(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const button = form.querySelector('button[type="submit"]');
    const email = $('email').value.trim();
    const password = $('password').value;
    showError($('sign-in-error'), '');
    if (!email || !password) {
      showError($('sign-in-error'), 'Enter your email and password.');
      return;
    }
    button.disabled = true;
    try {
      tokens.set(await send('POST', '/api/login/', { email, password }, false));
      storage.setItem('admin.email', email);
      await load();
      $('password').value = '';
      signedIn(email);
    } catch (error) {
      if (error instanceof ProblemError && error.status === 403) {
        await logoutQuietly();
        signedOut('This account is not staff: it cannot manage the settings.');
      } else if (error instanceof ProblemError && error.status === 401) {
        signedOut('Wrong email or password.');
      } else if (error instanceof ProblemError && error.status === 429) {
        signedOut(error.message);
      } else {
        signedOut(error instanceof ProblemError ? error.message : 'The server cannot be reached.');
      }
    } finally {
      button.disabled = false;
    }
  }

  async function saveSettings(patch) {
    clearFieldErrors();
    const status = $('settings-status');
    status.textContent = '';
    if (Object.keys(patch).length === 0) {
      status.textContent = 'Nothing to save: no value changed.';
      return;
    }
    const button = $('settings-form').querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      renderSettings(await api('PUT', '/api/admin/settings/', patch));
      const history = await api('GET', '/api/admin/settings/history/?limit=100');
      renderHistory(history.history);
      status.textContent = `Saved at ${new Date().toLocaleTimeString()}.`;
    } catch (error) {
      if (error instanceof ProblemError && error.status === 400 && Array.isArray(error.problem.errors)) {
        const general = [];
        for (const { field, message } of error.problem.errors) {
          if (SETTINGS.includes(field)) {
            showError($(`${field}-error`), message);
            $(field).setAttribute('aria-invalid', 'true');
          } else {
            general.push(`${field}: ${message}`);
          }
        }
        showError($('settings-error'), general.join(' '));
      } else if (error instanceof ProblemError && error.status === 403) {
        signedOut('This account is no longer staff.');
      } else if (!(error instanceof ProblemError && error.status === 401)) {
        showError(
          $('settings-error'),
          error instanceof ProblemError ? error.message : 'The server cannot be reached.',
        );
      }
    } finally {
      button.disabled = false;
    }
  }

  function onSave(event) {
    event.preventDefault();
    if (!current) return;
    const patch = {};
    for (const name of SETTINGS) {
      const raw = $(name).value.trim();
      // Send what was typed; the server validates and names the field at fault.
      const value = raw === '' ? raw : Number(raw);
      if (value !== current[name]) patch[name] = value;
    }
    void saveSettings(patch);
  }

  function onResetDefaults() {
    if (!current) return;
    const patch = {};
    for (const name of SETTINGS) {
      if (current[name] !== current.defaults[name]) patch[name] = current.defaults[name];
    }
    void saveSettings(patch);
  }

  async function logoutQuietly() {
    if (!tokens.refresh) return;
    try {
      await send('POST', '/api/logout/', { refresh_token: tokens.refresh }, false);
    } catch {
      // already invalid: nothing to revoke
    }
  }

  async function onSignOut() {
    await logoutQuietly();
    signedOut('');
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('sign-in-form').addEventListener('submit', onSignIn);
    $('settings-form').addEventListener('submit', onSave);
    $('reset-defaults').addEventListener('click', onResetDefaults);
    $('sign-out').addEventListener('click', onSignOut);
    if (tokens.refresh) {
      load().then(
        () => signedIn(storage.getItem('admin.email')),
        () => signedOut(''),
      );
    }
  });
})();
