// The home page renders on the server and hydrates in the browser; the backends' check, which
// names the server's database and storage, is for server admins only: on the admin page, through
// a server function that pings every backend and refuses everyone else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, browser, openPage, screenshot, submitSignIn, useBrowser } from './support.mjs';

useBrowser();

test('the home page is rendered on the server before any script runs', async () => {
  const response = await fetch(`${BASE_URL}/`);
  assert.equal(response.status, 200);
  const html = await response.text();
  assert.match(html, /<h1>Fleck<\/h1>/);
  assert.match(html, /Connect a Speckle connector/);
  assert.doesNotMatch(html, /Check backends/, 'visitors are not offered the backends check');
  assert.doesNotMatch(html, /<html[^>]*data-hydrated/, 'the server renders the page as not yet interactive');
  assert.ok(response.headers.get('x-request-id'), 'every response carries a request id');
});

test('the page hydrates, and a server admin checks the backends from the admin page', async () => {
  const { page, errors } = await openPage(browser);
  await page.goto(`${BASE_URL}/`);
  await page.locator('html[data-hydrated="true"]').waitFor({ timeout: 30_000 });
  await screenshot(page, 'home');

  const { E2E_ADMIN_EMAIL: email, E2E_ADMIN_PASSWORD: password } = process.env;
  assert.ok(email && password, 'E2E_ADMIN_EMAIL and E2E_ADMIN_PASSWORD name the server admin scripts/test.sh creates');
  await submitSignIn(page, email, password);
  await page.locator('#admin-link').waitFor({ timeout: 15_000 });
  await page.goto(`${BASE_URL}/admin#backends`);
  await page.locator('html[data-hydrated="true"]').waitFor({ timeout: 30_000 });

  await page.getByRole('button', { name: 'Check backends' }).click();
  const rows = page.locator('.status-table tbody tr');
  await rows.first().waitFor({ timeout: 15_000 });

  const names = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.backend));
  assert.deepEqual(names, ['database', 'blobs', 'cache', 'mail']);
  const states = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.ok));
  assert.deepEqual(states, ['true', 'true', 'true', 'true'], 'every backend answers');
  const expected = (process.env.E2E_BACKENDS ?? 'sqlite,disk,memory,outbox').split(',');
  const backends = await rows.evaluateAll((trs) => trs.map((tr) => tr.children[1].textContent));
  assert.deepEqual(backends, expected);
  await screenshot(page, 'admin-backends');

  // The same server function, called by someone who is not signed in, is refused.
  const action = await page.locator('#backends form').getAttribute('action');
  const anonymous = await fetch(new URL(action, BASE_URL), { method: 'POST' });
  assert.ok(!anonymous.ok, `an anonymous check is refused (HTTP ${anonymous.status})`);
  const body = await anonymous.text();
  for (const backend of expected) assert.ok(!body.includes(backend), `the refusal does not name ${backend}`);
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});

test('an unknown address shows the not-found page with status 404', async () => {
  const { page, errors } = await openPage(browser);
  const response = await page.goto(`${BASE_URL}/no/such/page`);
  assert.equal(response.status(), 404);
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  await screenshot(page, 'not-found');
  // The browser reports the 404 document itself as a console error; nothing else may fail.
  assert.deepEqual(errors.filter((e) => !e.includes('404')), []);
  await page.close();
});
