/**
 * The HTML pages in a real browser (Debian's chromium through playwright-core): the API
 * documentation renders every operation, "Try it out" reaches this server and "Authorize"
 * writes no token to localStorage; the admin page signs in, changes a lifetime, shows the
 * history, and the next login gets tokens with the new lifetime. Screenshots go to a temp folder (printed) for a human look.
 */

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from './helpers/http-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const CHROMIUM = '/usr/bin/chromium';
const shots = mkdtempSync(join(tmpdir(), 'koa-server-shots-'));

let t: TestServer;
let browser: Browser;
const problems: string[] = [];

async function openPage(path: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`${path}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`${path}: ${error.message}`));
  await page.goto(new URL(path, t.url).href);
  return page;
}

beforeAll(async () => {
  t = await startTestServer();
  await t.auth.ensureUser({ email: 'staff@example.com', password: 'staff-password', isStaff: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  process.stdout.write(`screenshots: ${shots}\n`);
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe.skipIf(!existsSync(CHROMIUM))('in a browser', () => {
  it('the documentation page renders every operation of the API', async () => {
    const page = await openPage('/api/docs/');
    await page.locator('.opblock').first().waitFor();
    const summaries = await page.locator('.opblock-summary-path').allInnerTexts();
    const paths = summaries.map((text) => text.replace(/\u200b/g, '').trim());
    for (const path of [
      '/api/register/',
      '/api/login/',
      '/api/refresh/',
      '/api/logout/',
      '/api/me/',
      '/api/admin/settings/',
      '/healthz',
    ]) {
      expect(paths).toContain(path);
    }
    await page.screenshot({ path: join(shots, 'docs.png'), fullPage: true });
    await page.close();
  });

  it("the documentation page's Try it out registers a user on this server", async () => {
    const page = await openPage('/api/docs/');
    const operation = page.locator('#operations-auth-register');
    await operation.locator('.opblock-summary').click();
    await operation.locator('.try-out__btn').waitFor();
    await operation.locator('.try-out__btn').click();
    await operation
      .locator('textarea.body-param__text')
      .fill('{"email": "docs@example.com", "password": "password"}');
    await operation.locator('.execute').click();
    const status = operation.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor();
    expect((await status.textContent())?.trim()).toBe('201');
    await page.screenshot({ path: join(shots, 'docs-try-it-out.png'), fullPage: false });
    await page.close();
    expect(
      (await t.client.post('/api/login/', { email: 'docs@example.com', password: 'password' })).status,
    ).toBe(200);
  });

  it("the documentation page's Authorize keeps the access token out of localStorage", async () => {
    const { access } = await t.client.signUp('docs-auth@example.com');
    const page = await openPage('/api/docs/');
    await page.locator('.btn.authorize').click();
    const dialog = page.locator('.auth-container').filter({ hasText: 'bearerAuth' });
    await dialog.locator('input').fill(access);
    await dialog.locator('.auth-btn-wrapper .authorize').click();
    await dialog.locator('button', { hasText: 'Logout' }).waitFor();
    const stored: string[] = await page.evaluate(
      "Object.keys(localStorage).map((key) => key + '=' + localStorage.getItem(key))",
    );
    expect(stored.filter((entry) => entry.includes(access))).toEqual([]);
    await page.close();
  });

  it('the admin page signs in, changes the access lifetime, shows the history, and logins then use it', async () => {
    const page = await openPage('/admin');
    expect(new URL(page.url()).pathname).toBe('/admin/');
    await page.screenshot({ path: join(shots, 'admin-sign-in.png') });
    await page.getByLabel('Email').fill('staff@example.com');
    await page.getByLabel('Password').fill('staff-password');
    await page.getByRole('button', { name: 'Sign in' }).click();

    const access = page.getByLabel('Access-token lifetime');
    await expect.poll(() => access.inputValue()).toBe('30');
    await expect.poll(() => page.locator('#history-empty').isVisible()).toBe(true);

    await access.fill('2');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => page.locator('#settings-status').textContent()).toMatch(/^Saved/);
    const firstRow = page.locator('#history-table tbody tr').first();
    await expect
      .poll(() => firstRow.textContent())
      .toMatch(/staff@example\.com\s*Access-token lifetime\s*30\s*2$/);
    await expect
      .poll(() => page.locator('[data-setting="access_token_lifetime"] [data-badge]').isVisible())
      .toBe(true);
    await page.screenshot({ path: join(shots, 'admin-changed.png'), fullPage: true });

    const { access: token } = await t.client.login('staff@example.com', 'staff-password');
    const claims = decodeJwt(token);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(2);
    await page.close();
  });

  it('the admin page shows the server-side validation message next to the field', async () => {
    const page = await openPage('/admin/');
    // Signed in from sessionStorage? A new page has its own session: sign in again.
    await page.getByLabel('Email').fill('staff@example.com');
    await page.getByLabel('Password').fill('staff-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const refresh = page.getByLabel('Refresh-token lifetime');
    await refresh.waitFor();
    await refresh.fill('0');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const error = page.locator('#refresh_token_lifetime-error');
    await expect.poll(() => error.textContent()).toBe('Ensure this value is greater than or equal to 1.');
    expect(await refresh.getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: join(shots, 'admin-validation.png'), fullPage: true });
    await page.close();
  });

  it('the admin page refreshes its tokens when the access token has expired', async () => {
    const page = await openPage('/admin/');
    await page.getByLabel('Email').fill('staff@example.com');
    await page.getByLabel('Password').fill('staff-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const access = page.getByLabel('Access-token lifetime');
    await access.waitFor();
    const before = await page.evaluate("sessionStorage.getItem('admin.refresh_token')");
    t.clock.advance(3_600_000);
    await access.fill('40');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => page.locator('#settings-status').textContent()).toMatch(/^Saved/);
    const after = await page.evaluate("sessionStorage.getItem('admin.refresh_token')");
    expect(after).not.toBe(before);
    await page.close();
  });

  it('the admin page tells a non-staff user they cannot manage the settings', async () => {
    await t.client.post('/api/register/', { email: 'plain@example.com', password: 'password' });
    const page = await openPage('/admin/');
    await page.getByLabel('Email').fill('plain@example.com');
    await page.getByLabel('Password').fill('password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect
      .poll(() => page.locator('#sign-in-error').textContent())
      .toBe('This account is not staff: it cannot manage the settings.');
    await page.close();
  });

  it('the admin page fits a 390 px wide phone after sign-in; the history table scrolls inside its own box', async () => {
    const page = await openPage('/admin/', { width: 390, height: 844 });
    await page.getByLabel('Email').fill('staff@example.com');
    await page.getByLabel('Password').fill('staff-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const access = page.getByLabel('Access-token lifetime');
    await access.waitFor();
    // A change of its own, so that the history table has a row whatever ran before.
    await access.fill(String(Number(await access.inputValue()) + 1));
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#history-table tbody tr').first().waitFor();

    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    const lastColumn = page.locator('#history-table thead th').last();
    await lastColumn.scrollIntoViewIfNeeded();
    const box = await lastColumn.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true);
    expect(await page.evaluate('window.scrollX')).toBe(0);
    await page.screenshot({ path: join(shots, 'admin-phone.png'), fullPage: true });
    await page.close();
  });

  it('the documentation page says how long an access token lives', async () => {
    const page = await openPage('/api/docs/');
    await expect
      .poll(() => page.getByText('Access tokens live 30 seconds by default.').isVisible())
      .toBe(true);
    await page.close();
  });

  it('no page logged a script error or a Content-Security-Policy violation', () => {
    // 4xx answers the pages expect (wrong password, 403, the validation 400) are logged by
    // the browser as failed resource loads; anything else is a real problem.
    const unexpected = problems.filter(
      (p) => !/Failed to load resource: the server responded with a status of (400|401|403)/.test(p),
    );
    expect(unexpected).toEqual([]);
  });
});
