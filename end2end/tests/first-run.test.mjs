// A first-time user's way in: the signed-out home page says what Fleck is, shows a model it drew
// and the address to give a connector (and nothing about the server's backends); the visitor
// signs up, drops an IFC file on the dashboard and lands in its 3D view once it is converted;
// on the new project's page another IFC becomes a second model, chosen with the keyboard, and a
// damaged one fails with the converter's reason. A .dwg is refused before anything is sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTIFACTS, BASE_URL, browser, openPage, realErrors, screenshot, signedInAs, useBrowser } from './support.mjs';

const DESKTOP = { width: 1920, height: 1080 };
const PHONE = { width: 390, height: 844 };
const HOUSE = new URL('../fixtures/two_storey_house.ifc', import.meta.url).pathname;
const BACKENDS = (process.env.E2E_BACKENDS ?? 'sqlite,disk,memory,outbox').split(',');

const stamp = Date.now();
const newcomer = { name: 'Ada Newcomer', email: `newcomer-${stamp}@example.com`, password: 'first run of fleck' };
const files = mkdtempSync(join(tmpdir(), 'fleck-first-run-'));

let page;
let errors;
let projectUrl;
useBrowser(async () => {
  ({ page, errors } = await openPage(browser));
  page.on('console', (message) => {
    const [mark, state] = message.text().split(' ');
    if (mark === 'upload-state') states.push(state);
  });
});

/** Fails when something on the page is wider than the window. */
async function assertFits(label) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `${label}: the page is ${overflow} px wider than the window`);
}

/** Every `data-state` the upload shows, in order, kept across the page change that ends it. */
const states = [];
function recordStates() {
  states.length = 0;
  return page.evaluate(() => {
    const state = document.querySelector('.upload-state');
    let last = state.dataset.state;
    new MutationObserver(() => {
      if (state.dataset.state !== last) console.info(`upload-state ${(last = state.dataset.state)}`);
    }).observe(state, { attributes: true, attributeFilter: ['data-state'] });
  });
}

/** Counts the requests that send a file to the server from now on. */
function countUploads() {
  const uploads = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && /\/api\/stream\/[^/]+\/blob/.test(request.url())) uploads.push(request.url());
  });
  return uploads;
}

test('the signed-out home page says what Fleck is, how to start and what to give a connector', async () => {
  // Rendered on the server: readable before any script runs.
  const response = await fetch(`${BASE_URL}/`);
  assert.equal(response.status, 200);
  const html = await response.text();
  assert.match(html, /<h1>Fleck<\/h1>/);
  assert.match(html, /src="\/welcome-model.png"/);
  assert.match(html, new RegExp(`data-server-url="${BASE_URL}"`));
  assert.match(html, /href="\/authn\/register"/);

  await page.setViewportSize(DESKTOP);
  await page.goto(`${BASE_URL}/`);
  await page.locator('html[data-hydrated="true"]').waitFor({ timeout: 30_000 });
  await page.getByRole('heading', { name: 'Fleck', level: 1 }).waitFor();
  assert.match(await page.locator('.hero .lead').first().innerText(), /architecture, engineering and construction/);
  assert.match(await page.locator('.hero').innerText(), /Speckle/);

  // The picture is a real drawing of a model, not an empty frame.
  const picture = page.locator('.hero-picture img');
  await page.waitForFunction(() => document.querySelector('.hero-picture img')?.complete);
  const drawn = await picture.evaluate((img) => {
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
    const context = canvas.getContext('2d');
    context.drawImage(img, 0, 0);
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    const colours = new Set();
    for (let i = 0; i < data.length; i += 4 * 97) colours.add(`${data[i] >> 4},${data[i + 1] >> 4},${data[i + 2] >> 4}`);
    return { width: img.naturalWidth, colours: colours.size, shown: img.getBoundingClientRect().width };
  });
  assert.ok(drawn.width >= 800, `the picture is ${drawn.width} px wide`);
  assert.ok(drawn.colours >= 8, `the picture has ${drawn.colours} colours`);
  assert.ok(drawn.shown >= 500, `the picture is shown ${drawn.shown} px wide on a 1920 px screen`);
  assert.ok((await picture.getAttribute('alt')).includes('IFC'));

  // The address a connector needs, ready to copy.
  const url = page.locator('[data-server-url]');
  assert.equal(await url.innerText(), BASE_URL);
  await page.getByRole('heading', { name: 'Connect a Speckle connector' }).waitFor();
  const copy = page.getByRole('button', { name: 'Copy the server address' });
  await copy.click();
  await copy.getByText('✓').waitFor();

  // Nothing about the server's insides for visitors.
  const text = await page.locator('main').innerText();
  assert.doesNotMatch(text, /Check backends|Server status/);
  for (const backend of BACKENDS) {
    assert.doesNotMatch(text, new RegExp(`\\b${backend}\\b`, 'i'), `the page does not name the ${backend} backend`);
  }
  await screenshot(page, 'first-run-1920-home');

  await page.setViewportSize(PHONE);
  await assertFits('home at 390 px');
  await screenshot(page, 'first-run-390-home');
  await page.setViewportSize(DESKTOP);
  assert.deepEqual(realErrors(errors), []);
});

test('a visitor signs up from the home page and a .dwg is refused before it is sent', async () => {
  await page.locator('.welcome-grid a.button', { hasText: 'Create an account' }).click();
  await page.waitForURL(/\/authn\/register/);
  await page.getByLabel('Name').fill(newcomer.name);
  await page.getByLabel('E-mail address').fill(newcomer.email);
  await page.getByLabel('Password').fill(newcomer.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await signedInAs(page, newcomer.name);
  await page.locator('[data-empty="projects"]').waitFor();
  await page.locator('html[data-hydrated="true"]').waitFor({ timeout: 30_000 });

  // The drop zone comes before the (empty) project list.
  const zone = page.locator('[data-drop-zone]');
  await page.getByRole('heading', { name: 'Upload IFC' }).waitFor();
  const [zoneBox, listBox] = [await zone.boundingBox(), await page.locator('#projects-heading').boundingBox()];
  assert.ok(zoneBox.y < listBox.y, 'a first-time user sees the drop zone first');

  const uploads = countUploads();
  const drawing = join(files, 'ground floor plan.dwg');
  writeFileSync(drawing, Buffer.concat([Buffer.from('AC1032'), Buffer.alloc(200_000, 7)]));
  await page.locator('[data-upload-input]').setInputFiles(drawing);
  const refusal = page.locator('.upload-state[data-state="refused"] [role="alert"]');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /Files of type \.dwg cannot be imported: Fleck imports IFC \(\.ifc\).*Nothing was uploaded\./);
  await screenshot(page, 'first-run-1920-dwg-refused');
  await page.waitForTimeout(500);
  assert.deepEqual(uploads, [], 'nothing was uploaded');
  await page.reload();
  await page.locator('[data-empty="projects"]').waitFor();
  assert.equal(await page.locator('.project-tile').count(), 0, 'no project was made for it');

  await page.setViewportSize(PHONE);
  await page.locator('html[data-hydrated="true"]').waitFor();
  await assertFits('dashboard at 390 px');
  await screenshot(page, 'first-run-390-dashboard');
  await page.setViewportSize(DESKTOP);
  assert.deepEqual(realErrors(errors), []);
});

test('an IFC file dropped on the dashboard becomes a project and opens in 3D once converted', async () => {
  await page.locator('html[data-hydrated="true"]').waitFor({ timeout: 30_000 });
  await recordStates();
  // A real drop, as a file dragged from the desktop arrives.
  const bytes = readFileSync(HOUSE).toString('base64');
  await page.locator('[data-drop-zone]').evaluate((zone, bytes) => {
    const file = new File([Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0))], 'two_storey_house.ifc');
    const transfer = new DataTransfer();
    transfer.items.add(file);
    for (const type of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
    }
  }, bytes);
  await page.locator('.upload-state[data-state="uploading"], .upload-state[data-state="converting"], .upload-state[data-state="opening"]')
    .first().waitFor({ timeout: 15_000 });
  await screenshot(page, 'first-run-1920-dashboard-converting');

  await page.waitForURL(/\/projects\/[^/]+\/models\/[^/?#]+/, { timeout: 90_000 });
  // The project (the page's heading) and the model are named after the file.
  await page.getByRole('heading', { name: 'two_storey_house', exact: true, level: 1 }).waitFor();
  await page.getByRole('heading', { name: 'two_storey_house', exact: true, level: 2 }).waitFor();
  await page.locator('canvas.viewer-canvas[data-loaded="true"]').waitFor({ timeout: 60_000 });
  await page.locator('.tree [data-category="IfcBuildingStorey"]').first().waitFor();
  await page.locator('tr[data-version]', { hasText: 'File upload: two_storey_house.ifc' }).waitFor();
  await screenshot(page, 'first-run-1920-model-opened');
  // The home page's picture (public/welcome-model.png) is this view at 1500 × 900.
  await page.setViewportSize({ width: 1500, height: 900 });
  await page.waitForTimeout(1_000);
  await page.locator('.viewer').first().screenshot({ path: join(ARTIFACTS, 'first-run-welcome-model.png') });
  await page.setViewportSize(DESKTOP);
  assert.ok(states.includes('uploading'), `the upload's progress showed: ${states}`);
  assert.equal(states.at(-1), 'opening', `then the model opened: ${states}`);
  assert.ok(states.indexOf('preparing') < states.indexOf('uploading'), `${states}`);
  projectUrl = page.url().replace(/\/models\/.*$/, '');
  assert.deepEqual(realErrors(errors), []);
});

test('on the project page, a chosen IFC becomes another model and a damaged one says why it failed', async () => {
  await page.goto(projectUrl);
  await page.getByRole('heading', { name: 'two_storey_house', level: 1 }).waitFor();
  await page.locator('.model-line[data-model="two_storey_house"]').waitFor();
  await page.locator('html[data-hydrated="true"]').waitFor({ timeout: 30_000 });
  await page.getByRole('heading', { name: 'Upload IFC' }).waitFor();

  // A damaged file, chosen with the keyboard: the picker opens from the focused drop zone.
  const damaged = join(files, 'broken.ifc');
  writeFileSync(damaged, readFileSync(HOUSE).subarray(0, 400));
  const input = page.locator('[data-upload-input]');
  await input.focus();
  assert.ok(await page.locator('[data-drop-zone]').evaluate((zone) => zone.matches(':focus-within')), 'the drop zone shows keyboard focus');
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), input.press('Space')]);
  await chooser.setFiles(damaged);
  const failure = page.locator('.upload-state[data-state="failed"] [role="alert"]');
  await failure.waitFor({ timeout: 60_000 });
  assert.match(await failure.innerText(), /^broken\.ifc could not be converted: .*incomplete/);
  const brokenModel = await failure.getByRole('link').getAttribute('href');
  assert.match(brokenModel, /\/models\//);
  await screenshot(page, 'first-run-1920-import-failed');

  // On the model's page the failed import can be removed from its files; imported again, the
  // file is listed from the moment it is sent, never "no files".
  await page.goto(new URL(brokenModel, BASE_URL).href);
  await page.locator('html[data-hydrated="true"]').waitFor({ timeout: 30_000 });
  const failed = page.locator('.imports [data-import="broken.ifc"][data-status="error"]');
  await failed.getByRole('button', { name: 'Remove broken.ifc from the list' }).click();
  await page.locator('[data-empty="imports"]').waitFor();
  await page.locator('[data-import-input]').setInputFiles(damaged);
  await page.locator('.imports [data-import="broken.ifc"]').waitFor();
  assert.equal(await page.locator('[data-empty="imports"]').count(), 0, 'the list is not said to be empty');
  await failed.waitFor({ timeout: 60_000 });
  await page.goto(projectUrl);
  await page.locator('html[data-hydrated="true"]').waitFor({ timeout: 30_000 });

  // Another IFC, set on the input as a picker would: a second model named after it.
  await recordStates();
  const annex = join(files, 'annex.ifc');
  copyFileSync(HOUSE, annex);
  await input.setInputFiles(annex);
  await page.waitForURL(/\/models\//, { timeout: 90_000 });
  await page.getByRole('heading', { name: 'annex', exact: true, level: 2 }).waitFor();
  await page.getByRole('heading', { name: 'two_storey_house', exact: true, level: 1 }).waitFor();
  await page.locator('canvas.viewer-canvas[data-loaded="true"]').waitFor({ timeout: 60_000 });
  await screenshot(page, 'first-run-1920-second-model');
  assert.equal(states.at(-1), 'opening', `${states}`);

  // The model page's own file imports refuse a .dwg before sending it too.
  await page.locator('html[data-hydrated="true"]').waitFor({ timeout: 30_000 });
  const uploads = countUploads();
  await page.locator('[data-import-input]').setInputFiles(join(files, 'ground floor plan.dwg'));
  const refused = page.locator('.imports [role="alert"]');
  await refused.waitFor();
  assert.match(await refused.innerText(), /Files of type \.dwg cannot be imported.*Nothing was uploaded\./);
  await page.waitForTimeout(500);
  assert.deepEqual(uploads, [], 'nothing was uploaded');

  await page.goto(projectUrl);
  for (const model of ['two_storey_house', 'annex', 'broken']) {
    await page.locator(`.model-line[data-model="${model}"]`).waitFor();
  }
  await page.setViewportSize(PHONE);
  await page.locator('html[data-hydrated="true"]').waitFor();
  await assertFits('project page at 390 px');
  await screenshot(page, 'first-run-390-project');
  assert.deepEqual(realErrors(errors), []);
});
