// Projects in the web app: a new user creates a project, invites a second user who accepts from
// the e-mailed link, organises models, sends a version with specklepy, and manages the team.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BASE_URL, browser, canvasImage, countPixels, linkIn, openPage, realErrors, screenshot, signIn, signUp, submitSignIn, useBrowser, verifyEmail, waitForMail } from './support.mjs';

useBrowser();

const stamp = Date.now();
const owner = { name: 'Grace Hopper', email: `grace-${stamp}@example.com`, password: 'compilers are people too' };
const guest = { name: 'Katherine Johnson', email: `katherine-${stamp}@example.com`, password: 'orbits and trajectories' };
const projectName = `Harbour Bridge ${stamp}`;
let projectUrl;

test('a new user creates a project and finds it on the dashboard', async () => {
  const { page, errors } = await openPage(browser);
  await signUp(page, owner);
  await verifyEmail(page, owner.email);
  await page.locator('[data-empty="projects"]').waitFor();
  await screenshot(page, 'dashboard-empty');

  await page.getByLabel('Name', { exact: true }).fill(projectName);
  await page.getByLabel('Description').fill('Steel arch, 503 m span');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.waitForURL(/\/projects\/[^/?]+$/);
  projectUrl = page.url();
  await page.getByRole('heading', { name: projectName }).waitFor();
  await page.locator('.model-line[data-model="main"]').waitFor();
  await page.locator('[data-empty="versions"]').waitFor();

  await page.getByText('New model').click();
  await page.getByLabel('Name', { exact: true }).fill('deck/level 1/girders');
  await page.getByRole('button', { name: 'Create model' }).click();
  await page.waitForURL(/\/models\//);
  await page.getByRole('heading', { name: 'deck/level 1/girders' }).waitFor();
  await page.goto(projectUrl);
  await page.locator('.folder[data-folder="deck"]').waitFor();
  await page.locator('.model-line[data-model="deck/level 1/girders"]').waitFor();
  await screenshot(page, 'project');

  await page.goto(`${BASE_URL}/`);
  const tile = page.locator('.project-tile', { hasText: projectName });
  await tile.waitFor();
  assert.match(await tile.locator('.badge.role').innerText(), /owner/i);
  await page.getByLabel('Search projects').fill('no such project anywhere');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('[data-empty="projects"]').waitFor();
  await page.getByLabel('Search projects').fill('harbour');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('.project-tile', { hasText: projectName }).waitFor();
  await screenshot(page, 'dashboard');
  assert.deepEqual(realErrors(errors), []);
  await page.close();
});

test('an invited user accepts from the e-mailed link and the owner manages the team', async () => {
  const { page: ownerPage, errors: ownerErrors } = await openPage(browser);
  const guestContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const guestPage = await guestContext.newPage();
  const guestErrors = [];
  guestPage.on('console', (m) => { if (m.type() === 'error') guestErrors.push(m.text()); });

  await signUp(guestPage, guest);
  await verifyEmail(guestPage, guest.email);

  await signIn(ownerPage, owner);
  await ownerPage.goto(`${projectUrl}/settings`);
  await ownerPage.getByLabel('E-mail address').fill(guest.email);
  await ownerPage.getByLabel('Role', { exact: true }).selectOption('stream:reviewer');
  await ownerPage.getByRole('button', { name: 'Send invitation' }).click();
  await ownerPage.locator(`[data-pending="${guest.name}"]`).waitFor();
  // The answer stays after the pending list is read again.
  await ownerPage.getByRole('status').filter({ hasText: 'Invitation sent.' }).waitFor();
  await screenshot(ownerPage, 'project-settings-invited');

  // Someone without an account: the link's sign-up page says who invited them to what, and
  // fills in the address.
  const newcomer = `newcomer-${Date.now()}@example.com`;
  await ownerPage.getByLabel('E-mail address').fill(newcomer);
  await ownerPage.getByRole('button', { name: 'Send invitation' }).click();
  const invitation = await waitForMail(newcomer, `${owner.name} invited you to ${projectName}`);
  const { page: stranger } = await openPage(browser);
  await stranger.goto(linkIn(invitation, `${BASE_URL}/authn/register?token=`));
  await stranger.getByText(`${owner.name} invited you to the project ${projectName}. Sign up with ${newcomer}`).waitFor();
  assert.equal(await stranger.getByLabel('E-mail address').inputValue(), newcomer);
  await stranger.context().close();

  // A stranger (here: the guest before accepting) gets a 403 page for a private project.
  const refused = await guestPage.goto(projectUrl);
  assert.equal(refused.status(), 403);
  await guestPage.locator('[data-problem="forbidden"]').waitFor();

  const mail = await waitForMail(guest.email, `${owner.name} invited you to ${projectName}`);
  await guestPage.goto(linkIn(mail, `${projectUrl}?token=`));
  await guestPage.getByRole('heading', { name: `Join ${projectName}` }).waitFor();
  await screenshot(guestPage, 'invitation');
  await guestPage.getByRole('button', { name: 'Accept and open the project' }).click();
  await guestPage.locator('.model-line[data-model="main"]').waitFor();
  assert.match(await guestPage.locator('.project-head .badge.role').innerText(), /reviewer/i);

  await ownerPage.reload();
  const row = ownerPage.locator(`tr[data-member="${guest.name}"]`);
  await row.waitFor();
  await row.getByRole('combobox').selectOption('stream:contributor');
  await row.getByRole('button', { name: 'Change role' }).click();
  await ownerPage.locator(`tr[data-member="${guest.name}"][data-role="stream:contributor"]`).waitFor();
  await screenshot(ownerPage, 'project-settings-team');

  await guestPage.goto(`${projectUrl}/settings`);
  await guestPage.getByRole('button', { name: 'Leave project' }).click();
  await guestPage.waitForURL(`${BASE_URL}/`);
  await guestPage.locator('[data-empty="projects"]').waitFor();

  assert.deepEqual(realErrors(ownerErrors), []);
  assert.deepEqual(realErrors(guestErrors), []);
  await ownerPage.close();
  await guestContext.close();
});

test('a version sent with specklepy shows in the model list, and its token is revoked', async () => {
  const { page, errors } = await openPage(browser);
  await signIn(page, owner);

  await page.goto(`${BASE_URL}/profile`);
  // An avatar chosen from a file is scaled down in the browser and saved with the profile.
  const avatarFile = new URL('../fixtures/avatar.png', import.meta.url).pathname;
  await page.locator('[data-avatar-input]').setInputFiles(avatarFile);
  await page.locator('.avatar-picker img.avatar[src^="data:image/jpeg"]').waitFor();
  await page.getByRole('button', { name: 'Save profile' }).click();
  await page.getByText('Your profile is saved.').waitFor();
  await page.reload();
  const avatar = page.locator('.avatar-picker img.avatar');
  await page.waitForFunction(() => document.querySelector('.avatar-picker img.avatar')?.naturalWidth === 256);
  assert.match(await avatar.getAttribute('src'), /^data:image\/jpeg;base64,/);
  await screenshot(page, 'profile-avatar');

  await page.locator('#token-name').fill('specklepy in the browser tests');
  // The connector preset ticks what a connector needs, and only that.
  await page.locator('#scope-profile-write').check();
  await page.getByRole('button', { name: 'For connectors' }).click();
  const ticked = await page.locator('input[name="scopes[]"]:checked').evaluateAll((boxes) => boxes.map((b) => b.value));
  assert.deepEqual(ticked.sort(), ['profile:email', 'profile:read', 'streams:read', 'streams:write', 'users:read']);
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = await page.locator('#new-token').inputValue();
  assert.ok(token.length > 20, 'the new token is shown once');
  await page.getByRole('button', { name: 'Copy the token' }).click();
  await page.locator('.token-copy .copy', { hasText: '✓' }).waitFor();
  await screenshot(page, 'profile-token-created');

  // specklepy sends three boxes to the project's main model, as a connector would.
  const projectId = new URL(projectUrl).pathname.split('/').pop();
  await page.goto(projectUrl);
  const mainHref = await page.locator('.model-line[data-model="main"] a.model-name').getAttribute('href');
  const modelId = mainHref.split('/').pop();
  const python = process.env.E2E_PYTHON ?? 'python3';
  const script = new URL('../clients/send_model.py', import.meta.url).pathname;
  const versionId = execFileSync(python, [script, BASE_URL, token, projectId, modelId], { encoding: 'utf8' }).trim();

  await page.reload();
  const main = page.locator('.model-line[data-model="main"]');
  await main.getByText('Three boxes from specklepy').waitFor();
  assert.match(await main.innerText(), /1 version/);
  assert.match(await main.innerText(), /specklepy/);
  await screenshot(page, 'project-with-version');

  await main.locator('a.model-name').click();
  const row = page.locator(`tr[data-version="${versionId}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), new RegExp(owner.name));
  assert.match(await row.innerText(), /specklepy/);
  await screenshot(page, 'model-versions');

  // The 3D view draws the boxes: pixels unlike the background and grid in the canvas's middle band.
  const canvas = page.locator('canvas.viewer-canvas[data-loaded="true"]');
  await canvas.waitFor({ timeout: 30_000 });
  const drawn = async () => {
    const middle = await canvasImage(page.locator('canvas.viewer-canvas').first(), [0.25, 0.75]);
    return countPixels(middle, { painted: 0 }, (counts, r, g, b) => {
      // Shaded geometry is darker than the light background and the pale ground grid (and its
      // anti-aliased edges); the selection highlight is blue.
      if (r < 195 || b - r > 60) counts.painted++;
    }).painted;
  };
  const withModel = await drawn();
  assert.ok(withModel > 1000, `the model is drawn (${withModel} pixels)`);
  await screenshot(page, 'model-3d-view');

  // Picking the middle of the view selects a box and shows its properties.
  const box = await canvas.boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.locator('.properties[data-selected]').waitFor();
  assert.match(await page.locator('.object-panel').innerText(), /Mesh/);

  // Hiding the only category empties the picture; isolating it brings it back.
  await page.getByRole('tab', { name: 'Categories' }).click();
  const category = page.locator('.categories li', { hasText: 'Mesh' });
  await category.getByRole('checkbox').uncheck();
  await page.waitForFunction(() => true);
  assert.ok(await drawn() < withModel / 10, 'hidden objects are not drawn');
  await category.getByRole('checkbox').check();
  await category.getByRole('button', { name: 'Isolate' }).click();
  assert.ok(await drawn() > 1000, 'the isolated category is drawn');
  await screenshot(page, 'model-3d-selected');

  // A section box cut to the west third of the model leaves part of it drawn.
  const whole = await drawn();
  await page.getByRole('tab', { name: 'Section' }).click();
  await page.getByLabel('Cut the model to a box').check();
  await page.locator('#section-x-to').fill('30');
  await page.waitForFunction(() => true);
  const cut = await drawn();
  assert.ok(cut < whole * 0.8 && cut > 100, `the section box cuts the model (${cut} of ${whole} pixels)`);
  await screenshot(page, 'model-3d-section');
  await page.getByLabel('Cut the model to a box').uncheck();
  assert.ok(await drawn() >= whole * 0.95, 'without the box the whole model is drawn again');

  // One object can be hidden from its properties panel, and shown again.
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.locator('.properties[data-selected]').waitFor();
  await page.locator('.object-panel').getByRole('button', { name: 'Hide', exact: true }).click();
  await page.locator('.properties[data-selected]').waitFor({ state: 'detached' });
  const withoutOne = await drawn();
  assert.ok(withoutOne < whole * 0.85 && withoutOne > 100, `the hidden object is not drawn (${withoutOne} of ${whole} pixels)`);
  await page.getByRole('button', { name: 'Show all', exact: true }).click();
  assert.ok(await drawn() >= whole * 0.95, 'the hidden object is drawn again');

  // Lines and a block placed twice (Speckle 3 instance proxies) are drawn too; hiding the
  // instances takes the boxes away and leaves the lines.
  await page.goto(projectUrl);
  const girdersHref = await page.locator('.model-line[data-model="deck/level 1/girders"] a.model-name').getAttribute('href');
  execFileSync(python, [script, BASE_URL, token, projectId, girdersHref.split('/').pop(), 'details'], { encoding: 'utf8' });
  await page.goto(`${BASE_URL}${girdersHref}`);
  await canvas.waitFor({ timeout: 30_000 });
  await page.getByRole('tab', { name: 'Categories' }).click();
  for (const kind of ['Polyline', 'Line', 'InstanceProxy']) {
    await page.locator(`.categories li[data-category="${kind}"]`).waitFor();
  }
  const details = await drawn();
  assert.ok(details > 1000, `lines and instances are drawn (${details} pixels)`);
  await page.locator('.categories li[data-category="InstanceProxy"]').getByRole('checkbox').uncheck();
  const linesOnly = await drawn();
  assert.ok(linesOnly < details * 0.7 && linesOnly > 50, `hiding the instances leaves the lines (${linesOnly} of ${details} pixels)`);
  await screenshot(page, 'model-3d-lines');

  // A version sent as a parquet bundle (specklepy's send3) is drawn like any other, with the
  // properties it was sent with.
  const bundleVersion = execFileSync(python, [script, BASE_URL, token, projectId, modelId, 'bundle'], { encoding: 'utf8' }).trim();
  await page.goto(`${BASE_URL}${mainHref}`);
  await page.locator(`tr[data-version="${bundleVersion}"]`).waitFor();
  await canvas.waitFor({ timeout: 30_000 });
  const bundled = await drawn();
  assert.ok(bundled > 1000, `the bundle version is drawn (${bundled} pixels)`);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.locator('.properties[data-selected]').waitFor();
  assert.match(await page.locator('.object-panel').innerText(), /Box 1/);
  await screenshot(page, 'model-3d-bundle');

  await page.goto(`${BASE_URL}/profile`);
  const tokenRow = page.locator('tr[data-token-name="specklepy in the browser tests"]');
  await tokenRow.getByText('Revoke…').click();
  await tokenRow.getByRole('button', { name: 'Revoke token' }).click();
  await tokenRow.waitFor({ state: 'detached' });
  assert.throws(() => execFileSync(python, [script, BASE_URL, token, projectId, modelId], { stdio: 'pipe' }),
    'a revoked token no longer sends');
  assert.deepEqual(realErrors(errors), []);
  await page.close();
});


test('a file dropped on a model page becomes a version with a preview', async () => {
  const { page, errors } = await openPage(browser);
  await signIn(page, owner);

  await page.goto(projectUrl);
  await page.locator('.model-line[data-model="deck/level 1/girders"] a.model-name').click();
  await page.locator('[data-empty="imports"]').waitFor();
  const file = new URL('../fixtures/pavilion.obj', import.meta.url).pathname;
  await page.locator('[data-import-input]').setInputFiles(file);
  const item = page.locator('.import[data-import="pavilion.obj"]');
  await item.waitFor();
  await page.locator('.import[data-import="pavilion.obj"][data-status="success"]').waitFor({ timeout: 60_000 });
  await screenshot(page, 'model-import-done');
  // The page reloads its versions when the import finishes; the new one is drawn in 3D.
  const row = page.locator('tr[data-version]', { hasText: 'File upload: pavilion.obj' });
  await row.waitFor({ timeout: 15_000 });
  await page.locator('canvas.viewer-canvas[data-loaded="true"]').waitFor({ timeout: 30_000 });

  // The dashboard shows the project's preview: the drawn image, not a placeholder, once rendered.
  await page.goto(`${BASE_URL}/`);
  const thumb = page.locator('.project-tile', { hasText: projectName }).locator('img.thumb');
  await thumb.waitFor();
  const src = await thumb.getAttribute('src');
  const started = Date.now();
  let cache = '';
  while (!cache.startsWith('private') && Date.now() - started < 60_000) {
    cache = await page.evaluate(async (url) => (await fetch(url)).headers.get('cache-control') ?? '', src);
    if (!cache.startsWith('private')) await page.waitForTimeout(500);
  }
  assert.match(cache, /^private/, 'the preview was rendered');
  await page.reload();
  await page.waitForFunction(() => [...document.querySelectorAll('.project-tile img.thumb')].every((i) => i.complete && i.naturalWidth === 700));
  await screenshot(page, 'dashboard-previews');
  assert.deepEqual(realErrors(errors), []);
  await page.close();
});

test('a server admin sees the statistics and changes a user\'s server role', async () => {
  const { ADMIN_EMAIL, ADMIN_PASSWORD } = { ADMIN_EMAIL: process.env.E2E_ADMIN_EMAIL, ADMIN_PASSWORD: process.env.E2E_ADMIN_PASSWORD };
  assert.ok(ADMIN_EMAIL && ADMIN_PASSWORD, 'E2E_ADMIN_EMAIL and E2E_ADMIN_PASSWORD name the server admin scripts/test.sh creates');
  const { page, errors } = await openPage(browser);

  // Someone who is not an admin gets a 403 page.
  await signIn(page, guest);
  const refused = await page.goto(`${BASE_URL}/admin`);
  assert.equal(refused.status(), 403);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('.account').getByRole('link', { name: 'Sign in' }).waitFor();

  await submitSignIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await page.locator('#admin-link').waitFor();
  await page.goto(`${BASE_URL}/admin`);
  await page.locator('[data-stat]').first().waitFor();
  // The counts say when they were taken.
  assert.match(await page.locator('[data-counted-at]').innerText(), /^Counted at \d{4}-\d\d-\d\d \d\d:\d\d UTC\./);
  await page.locator('html[data-hydrated="true"]').waitFor({ timeout: 30_000 });
  await page.getByLabel('Search users').fill(guest.email);
  await page.getByRole('button', { name: 'Search' }).first().click();
  // The list that answers the search, not the one before it (whose rows are about to go).
  const list = page.locator(`.table-scroll[data-search="${guest.email}"][aria-busy="false"]`);
  const row = list.locator(`tr[data-user-email="${guest.email}"]`);
  await row.waitFor();
  await row.getByRole('combobox').selectOption('server:guest');
  await row.getByRole('button', { name: 'Change' }).click();
  await page.locator(`tr[data-user-email="${guest.email}"][data-role="server:guest"]`).waitFor();
  await screenshot(page, 'admin');

  // A role chosen before the page's script has loaded is kept when it loads, and its form
  // sends it: the script is held back until the choice is made, then let through.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route('**/pkg/fleck_bg.wasm', async (route) => { await held; await route.continue(); });
  await page.goto(`${BASE_URL}/admin?users=${encodeURIComponent(guest.email)}`, { waitUntil: 'domcontentloaded' });
  const early = page.locator(`tr[data-user-email="${guest.email}"]`);
  await early.getByRole('combobox').selectOption('server:user');
  assert.equal(await page.locator('html[data-hydrated="true"]').count(), 0, 'chosen before the page is interactive');
  release();
  await page.locator('html[data-hydrated="true"]').waitFor({ timeout: 30_000 });
  assert.equal(await early.getByRole('combobox').inputValue(), 'server:user', 'the choice survives hydration');
  await early.getByRole('button', { name: 'Change' }).click();
  await page.locator(`tr[data-user-email="${guest.email}"][data-role="server:user"]`).waitFor();
  await page.unroute('**/pkg/fleck_bg.wasm');
  assert.deepEqual(realErrors(errors), []);

  // With no script at all the form is a plain HTML form: it posts, and the page that comes
  // back shows the new role. (The blocked script's load errors come after the check above.)
  await page.route('**/pkg/fleck_bg.wasm', (route) => route.abort());
  await page.goto(`${BASE_URL}/admin?users=${encodeURIComponent(guest.email)}`);
  const plain = page.locator(`tr[data-user-email="${guest.email}"]`);
  await plain.getByRole('combobox').selectOption('server:guest');
  await Promise.all([page.waitForNavigation(), plain.getByRole('button', { name: 'Change' }).click()]);
  await page.locator(`tr[data-user-email="${guest.email}"][data-role="server:guest"]`).waitFor();
  assert.equal(await page.locator('html[data-hydrated="true"]').count(), 0, 'no script ran');
  await page.unroute('**/pkg/fleck_bg.wasm');
  await page.close();
});
