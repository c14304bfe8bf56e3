// The model page as a reviewer uses it, on a real two-storey IFC file (fixtures/two_storey_house.ifc,
// written by fixtures/two_storey_house.py): readable properties, spaces hidden or see-through,
// the spatial tree's isolate, the whole screen, measuring, finding, a view kept in a link, and
// views saved on the model by name.
// Screenshots of each at 1920×1080 and 390×844 go to the test artefacts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { BASE_URL, browser, canvasImage, countPixels, frames, importIntoModel, openPage, project, realErrors, screenshot, signUp, useBrowser, verifyEmail } from './support.mjs';

useBrowser();

const stamp = Date.now();
const reviewer = { name: 'Ada Reviewer', email: `ada-${stamp}@example.com`, password: 'sections and elevations' };
let modelUrl;
/** The reviewer's signed-in session, kept after signing up: signing in for every test would
 * spend the sign-in rate limit the other test files need too. */
let session;

const DESKTOP = { width: 1920, height: 1080 };
const PHONE = { width: 390, height: 844 };

/** A page in a new browser context signed in as the reviewer, collecting console errors. */
function reviewerPage(viewport = { width: 1280, height: 800 }) {
  return openPage(browser, { viewport, storageState: session });
}

/** Opens the model (with an optional `#…` view) and waits until the model is drawn. */
async function openModel(page, fragment = '') {
  await page.goto(`${modelUrl}${fragment}`);
  await page.locator('html[data-hydrated="true"]').waitFor({ timeout: 30_000 });
  await page.locator('canvas.viewer-canvas[data-loaded="true"]').waitFor({ timeout: 60_000 });
  await page.locator('.tree [data-category="IfcBuildingStorey"]').first().waitFor();
}

/** The view most tests start from: the whole house from the south, a little above it. */
const FROM_SOUTH = '#view=5,3,3,30,-1.5708,0.3';

/** A 1920×1080 page signed in as the reviewer, with the model open at `fragment`'s view. */
async function reviewModel(fragment = FROM_SOUTH) {
  const opened = await reviewerPage(DESKTOP);
  await openModel(opened.page, fragment);
  return opened;
}

/** Pixels of the canvas by what they show: each wall colour, see-through red, opaque red, and
 * the colour legend's first colour (orange), however lit. */
async function pixels(page) {
  const image = await canvasImage(page.locator('canvas.viewer-canvas').first());
  return countPixels(image, { blue: 0, green: 0, red: 0, opaqueRed: 0, orange: 0, drawn: 0 }, (counts, r, g, b) => {
    if (b > r + 60 && b > g + 30) counts.blue++;
    if (g > r + 50 && g > b + 40) counts.green++;
    if (r > g + 40 && r > b + 40) counts.red++;
    if (r > 190 && g < 70 && b < 70) counts.opaqueRed++;
    if (r > 120 && g > r * 0.3 && g < r * 0.7 && b < r * 0.35) counts.orange++;
    if (r < 195 || b - r > 60 || g - r > 50) counts.drawn++;
  });
}

/** Narrows the page to a phone's screen and, once redrawn, screenshots it as `review-390-<name>`. */
async function screenshotPhone(page, name) {
  await page.setViewportSize(PHONE);
  await frames(page);
  await screenshot(page, `review-390-${name}`);
}

/** Checks that `page` shows the view the link and saved-view tests make: the first floor hidden,
 * the section box cutting X at 50 %, and the same picture as `before` (pixel counts). */
async function assertRestored(page, before) {
  assert.equal(await page.locator('.tree').getByRole('checkbox', { name: 'Show First floor', exact: true }).isChecked(), false);
  await page.getByRole('tab', { name: 'Section' }).click();
  assert.equal(await page.getByLabel('Cut the model to a box').isChecked(), true);
  assert.equal(await page.locator('#section-x-to').inputValue(), '50');
  await frames(page);
  const after = await pixels(page);
  assert.equal(after.green, 0, 'the hidden storey stays hidden');
  assert.ok(Math.abs(after.blue - before.blue) <= before.blue * 0.02, `the same picture (${before.blue} and ${after.blue} blue pixels)`);
}

test('a reviewer uploads a two-storey IFC file and the view fills the screen', async () => {
  const { page, errors } = await openPage(browser);
  await page.setViewportSize(DESKTOP);
  await signUp(page, reviewer);
  await verifyEmail(page, reviewer.email);
  session = await page.context().storageState();

  await page.goto(`${BASE_URL}/`);
  await page.getByLabel('Name', { exact: true }).fill(`Two-storey house ${stamp}`);
  await page.getByLabel('Anyone with the link').check();
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.waitForURL(/\/projects\/[^/?]+$/);
  await page.locator('.model-line[data-model="main"] a.model-name').click();
  await page.waitForURL(/\/models\//);
  modelUrl = page.url().split('#')[0];
  await importIntoModel(page, 'two_storey_house.ifc');

  await openModel(page);
  const canvas = await page.locator('canvas.viewer-canvas').boundingBox();
  const share = (canvas.width * canvas.height) / (DESKTOP.width * DESKTOP.height);
  assert.ok(share >= 0.7, `the view fills ${Math.round(share * 100)} % of a 1920×1080 window`);
  assert.ok(canvas.y + canvas.height <= DESKTOP.height + 1, 'the whole view is on screen without scrolling');
  assert.ok((await pixels(page)).drawn > 10_000, 'the model is drawn');
  await screenshot(page, 'review-1920-whole-screen');

  // The keys are one `?` away, and the view can take the whole screen.
  await page.locator('canvas.viewer-canvas').focus();
  await page.keyboard.press('?');
  await page.getByRole('dialog', { name: 'Keys and mouse' }).waitFor();
  await screenshot(page, 'review-1920-keys');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog', { name: 'Keys and mouse' }).waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Full screen' }).click();
  await page.waitForFunction(() => document.fullscreenElement?.classList.contains('viewer'));
  await page.waitForFunction(() => document.querySelector('canvas.viewer-canvas').height >= window.innerHeight - 2);
  await page.getByRole('button', { name: 'Full screen' }).click();
  await page.waitForFunction(() => !document.fullscreenElement);

  // Panels fold away and come back.
  await page.getByRole('button', { name: 'Model panel' }).click();
  await page.locator('.model-panel .panel-body').waitFor({ state: 'hidden' });
  await page.getByRole('button', { name: 'Model panel' }).click();
  await page.locator('.model-panel .tree').waitFor();

  await page.setViewportSize(PHONE);
  await frames(page);
  const narrow = await page.evaluate(() => document.documentElement.scrollWidth);
  const wide = await page.evaluate((width) => [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > width + 1)
    .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className}`).join(', '), PHONE.width);
  assert.ok(narrow <= PHONE.width, `the phone page is not wider than the screen (${narrow} px: ${wide})`);
  await screenshot(page, 'review-390-whole-screen');
  assert.deepEqual(realErrors(errors), []);
  await page.context().close();
});

test('a picked wall shows every property readable, grouped by set, identifiers last', async () => {
  const { page, errors } = await reviewerPage();
  await openModel(page);
  await page.getByRole('button', { name: 'Open Ground floor', exact: true }).click();
  await page.locator('.tree-name', { hasText: 'Ground floor south wall' }).click();
  const panel = page.locator('.object-panel .properties[data-selected]');
  await panel.waitFor();
  const groups = await panel.locator('.property-group').evaluateAll((list) => list.map((g) => g.dataset.group));
  assert.equal(groups[0], 'Element');
  assert.equal(groups.at(-1), 'Identifiers', 'ids come last');
  assert.ok(groups.includes('Pset_WallCommon') && groups.includes('Qto_WallBaseQuantities'), groups.join(', '));
  const fire = panel.locator('[data-group="Pset_WallCommon"] tr[data-property="FireRating"] .property-value');
  assert.equal(await fire.innerText(), 'REI 60');
  // Quantities carry the project's units (millimetres and cubic metres in this file).
  const quantity = (name) => panel.locator(`[data-group="Qto_WallBaseQuantities"] tr[data-property="${name}"] .property-value`).innerText();
  assert.equal(await quantity('Length'), '10000 mm');
  assert.equal(await quantity('NetVolume'), '5.6 m³');
  // At 1280×800 every open value cell is at least 80 px wide and every name and value shows whole.
  const cells = await panel.locator('details[open] .property-table tr').evaluateAll((rows) => rows.map((row) => {
    const [name, value] = [row.querySelector('th'), row.querySelector('td')];
    return {
      property: row.dataset.property,
      valueWidth: value.getBoundingClientRect().width,
      nameWidth: name.getBoundingClientRect().width,
      clipped: name.scrollWidth > name.clientWidth + 1 || value.scrollWidth > value.clientWidth + 1,
    };
  }));
  assert.ok(cells.length >= 10, `${cells.length} properties listed`);
  for (const cell of cells) {
    assert.ok(cell.valueWidth >= 80, `${cell.property}: value cell ${cell.valueWidth} px wide`);
    assert.ok(cell.nameWidth >= 80, `${cell.property}: name cell ${cell.nameWidth} px wide`);
    assert.ok(!cell.clipped, `${cell.property} is shown whole`);
  }
  // The panel sits beside the view, not below the page's fold.
  const box = await panel.boundingBox();
  assert.ok(box.y < 800 / 2, `the properties start at y = ${box.y}`);
  // Groups fold; identifiers start folded.
  assert.equal(await panel.locator('[data-group="Identifiers"]').getAttribute('open'), null);
  await panel.locator('[data-group="Qto_WallBaseQuantities"] > summary').click();
  assert.equal(await panel.locator('[data-group="Qto_WallBaseQuantities"]').getAttribute('open'), null);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await fire.locator('xpath=..').getByRole('button', { name: 'Copy FireRating' }).click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'REI 60');
  await screenshot(page, 'review-1280-properties');

  // Picking in the view selects too.
  const canvas = await page.locator('canvas.viewer-canvas').boundingBox();
  await page.mouse.click(canvas.x + canvas.width / 2, canvas.y + canvas.height / 2);
  await page.waitForFunction(() => document.querySelector('.properties[data-selected]')?.dataset.selected);
  assert.deepEqual(realErrors(errors), []);
  await page.context().close();
});

test('spaces are hidden until asked for, then drawn see-through', async () => {
  // Looking down into the house, so the rooms would cover the floors if drawn solid.
  const { page, errors } = await reviewModel('#view=5,3,1.5,22,-1.2,1.0');
  const without = await pixels(page);
  assert.ok(without.red < 50, `no room is drawn by default (${without.red} red pixels)`);
  await page.getByRole('button', { name: 'Spaces' }).click();
  await frames(page);
  const withSpaces = await pixels(page);
  assert.ok(withSpaces.red > 1000, `the rooms show as a red tint (${withSpaces.red} pixels)`);
  assert.equal(withSpaces.opaqueRed, 0, 'no room is drawn opaque');
  await screenshot(page, 'review-1920-spaces');
  await screenshotPhone(page, 'spaces');
  assert.deepEqual(realErrors(errors), []);
  await page.context().close();
});

test('isolating a storey in the spatial tree shows that storey only, and Fit frames it', async () => {
  const { page, errors } = await reviewModel();
  const whole = await pixels(page);
  assert.ok(whole.blue > 1000 && whole.green > 1000, `both storeys are drawn (${whole.blue} blue, ${whole.green} green)`);
  const tree = page.locator('.model-panel .tree');
  for (const level of ['Plot 12', 'Two-storey house', 'Ground floor', 'First floor']) {
    await tree.locator('.tree-name', { hasText: level }).first().waitFor();
  }
  await tree.getByRole('button', { name: 'Isolate Ground floor', exact: true }).click();
  await frames(page);
  const ground = await pixels(page);
  assert.equal(ground.green, 0, 'nothing of the first floor is drawn');
  assert.ok(ground.blue > 1000, `the ground floor is drawn (${ground.blue} blue pixels)`);
  await page.getByRole('button', { name: 'Fit' }).click();
  await frames(page);
  const fitted = await pixels(page);
  assert.ok(fitted.blue > ground.blue * 1.2, `Fit frames the ground floor (${ground.blue} → ${fitted.blue} blue pixels)`);
  await screenshot(page, 'review-1920-storey-isolated');
  // Opening and closing a storey redraws its branch of the tree (and raises no error).
  await tree.getByRole('button', { name: 'Open Ground floor', exact: true }).click();
  await tree.locator('.tree-name', { hasText: 'Ground floor north wall' }).waitFor();
  await tree.getByRole('button', { name: 'Open Ground floor', exact: true }).click();
  await tree.locator('.tree-name', { hasText: 'Ground floor north wall' }).waitFor({ state: 'detached' });
  // Hiding a storey from the tree takes it away; the category list hides it the same way.
  await tree.getByRole('button', { name: 'Isolate Ground floor', exact: true }).click();
  await tree.getByRole('checkbox', { name: 'Show First floor', exact: true }).uncheck();
  await frames(page);
  assert.equal((await pixels(page)).green, 0, 'the hidden storey is not drawn');
  await screenshotPhone(page, 'storey-hidden');
  assert.deepEqual(realErrors(errors), []);
  await page.context().close();
});

test('measuring between two corners of a wall gives its length to the millimetre', async () => {
  const orbit = [5, 3, 3, 25, -1.5708, 0.35];
  const { page, errors } = await reviewModel(`#view=${orbit.join(',')}`);
  await page.getByRole('button', { name: 'Measure' }).click();
  const canvas = page.locator('canvas.viewer-canvas');
  const box = await canvas.boundingBox();
  // The first floor's south wall, top outer corners, clicked a few pixels inside the wall: the
  // points snap to the corners.
  const [lx, ly] = project(orbit, [0, 0, 5.8], box.width, box.height);
  const [rx, ry] = project(orbit, [10, 0, 5.8], box.width, box.height);
  await page.mouse.click(box.x + lx + 4, box.y + ly + 4);
  await page.getByText('Click a second point.').waitFor();
  await page.mouse.click(box.x + rx - 4, box.y + ry + 4);
  const readout = page.locator('.viewer-readout[data-distance-m]');
  await readout.waitFor();
  const metres = Number(await readout.getAttribute('data-distance-m'));
  assert.ok(Math.abs(metres - 10) <= 0.001, `the wall measures ${metres} m`);
  assert.match(await readout.innerText(), /10\.000 m/);
  assert.equal(await page.locator('.measure-overlay circle').count(), 2);
  await screenshot(page, 'review-1920-measure');
  await screenshotPhone(page, 'measure');
  await page.setViewportSize(DESKTOP);
  await canvas.focus();
  await page.keyboard.press('Escape');
  await page.locator('.measure-overlay circle').first().waitFor({ state: 'detached' });
  assert.deepEqual(realErrors(errors), []);
  await page.context().close();
});

test('finding walls by a property value and isolating the results', async () => {
  const { page, errors } = await reviewModel();
  await page.getByRole('tab', { name: 'Find' }).click();
  await page.getByLabel('Find objects').fill('FireRating = REI60');
  await page.getByRole('button', { name: 'Find', exact: true }).click();
  const results = page.locator('.find-results[data-found]');
  await results.waitFor();
  assert.equal(await results.getAttribute('data-found'), '4');
  await results.getByRole('button', { name: 'Isolate results' }).click();
  await frames(page);
  const only = await pixels(page);
  assert.equal(only.green, 0, 'first-floor walls (REI 30) are not drawn');
  assert.ok(only.blue > 1000, 'the ground-floor walls are');
  await screenshot(page, 'review-1920-find');
  await page.getByLabel('Find objects').fill('slab');
  await page.getByRole('button', { name: 'Find', exact: true }).click();
  await page.locator('.find-results[data-found="2"]').waitFor();
  await screenshotPhone(page, 'find');
  assert.deepEqual(realErrors(errors), []);
  await page.context().close();
});

test('colouring the model by a property value, with a legend that isolates a value', async () => {
  const { page, errors } = await reviewModel();
  await page.getByRole('tab', { name: 'Find' }).click();
  await page.getByLabel('Colour by property').fill('FireRating');
  await page.getByRole('button', { name: 'Colour', exact: true }).click();
  const legend = page.locator('.legend[data-bands]');
  await legend.waitFor();
  const bands = await legend.locator('.legend-band').evaluateAll((buttons) =>
    buttons.map((b) => [b.dataset.value, b.querySelector('.band-count').textContent]));
  // Four walls on each floor; every other element has no fire rating.
  assert.deepEqual(bands.slice(0, 2), [['REI 30', '4 elements'], ['REI 60', '4 elements']]);
  assert.equal(bands[2][0], 'No value');
  await frames(page);
  const { orange } = await pixels(page);
  assert.ok(orange > 1000, `the most common rating's walls are drawn orange (${orange} pixels)`);
  await screenshot(page, 'review-1920-colour-by');
  // The legend isolates one value's walls: the upper floor's only.
  await legend.getByRole('button', { name: /REI 60/ }).click();
  await frames(page);
  assert.equal(await legend.getByRole('button', { name: /REI 60/ }).getAttribute('aria-pressed'), 'true');
  await screenshotPhone(page, 'colour-by');
  await page.setViewportSize(DESKTOP);
  await legend.getByRole('button', { name: /REI 60/ }).click();
  await legend.getByRole('button', { name: 'Clear colours' }).click();
  await legend.waitFor({ state: 'detached' });
  await frames(page);
  assert.ok((await pixels(page)).orange < 50, 'the walls are drawn in their own materials again');
  assert.deepEqual(realErrors(errors), []);
  await page.context().close();
});

test('a copied link restores the camera, the section box and what was hidden', async () => {
  const { page, errors } = await reviewModel();
  await page.locator('.tree').getByRole('checkbox', { name: 'Show First floor', exact: true }).uncheck();
  await page.getByRole('tab', { name: 'Section' }).click();
  await page.getByLabel('Cut the model to a box').check();
  await page.locator('#section-x-to').fill('50');
  await page.locator('canvas.viewer-canvas').focus();
  await page.keyboard.press('ArrowLeft');
  await page.getByRole('button', { name: 'Copy link' }).click();
  const link = await page.locator('#view-link').inputValue();
  assert.match(link, /#view=.*section=0,50,0,100,0,100.*hide=/);
  await frames(page);
  const before = await pixels(page);
  await screenshot(page, 'review-1920-saved-view');

  const { page: other, errors: otherErrors } = await reviewerPage(DESKTOP);
  await other.goto(link);
  await other.locator('canvas.viewer-canvas[data-loaded="true"]').waitFor({ timeout: 60_000 });
  await assertRestored(other, before);
  assert.equal(new URL(other.url()).hash.split('&')[0], new URL(link).hash.split('&')[0], 'the same camera');
  await screenshotPhone(other, 'saved-view');
  assert.deepEqual(realErrors(errors), []);
  assert.deepEqual(realErrors(otherErrors), []);
  await other.context().close();
  await page.context().close();
});

test('a view saved on the model by name reopens its camera, visibility, section box and selection', async () => {
  const { page, errors } = await reviewModel();
  await page.locator('.tree').getByRole('checkbox', { name: 'Show First floor', exact: true }).uncheck();
  await page.getByRole('button', { name: 'Open Ground floor', exact: true }).click();
  await page.locator('.tree-name', { hasText: 'Ground floor south wall' }).click();
  const selected = await page.locator('.object-panel .properties[data-selected]').getAttribute('data-selected');
  await page.getByRole('tab', { name: 'Section' }).click();
  await page.getByLabel('Cut the model to a box').check();
  await page.locator('#section-x-to').fill('50');
  await page.getByRole('tab', { name: 'Views' }).click();
  const name = page.getByLabel('Save the view on screen as');
  await name.fill('Ground floor, west half');
  await page.getByRole('button', { name: 'Save view' }).click();
  await page.locator('.saved-view', { hasText: 'Ground floor, west half' }).waitFor();
  assert.equal(await name.inputValue(), '', 'the name box is emptied for the next view');
  await frames(page);
  const before = await pixels(page);
  await screenshot(page, 'review-1920-named-view-saved');
  // The same name again is refused, saying why.
  await name.fill('Ground floor, west half');
  await page.getByRole('button', { name: 'Save view' }).click();
  await page.locator('.saved-views [role="alert"]', { hasText: 'already has a view named' }).waitFor();

  // Another visit opens the plain model address: the view comes from the model's list.
  const { page: other, errors: otherErrors } = await reviewModel('');
  await other.getByRole('tab', { name: 'Views' }).click();
  await other.getByRole('button', { name: 'Ground floor, west half', exact: true }).click();
  await other.locator(`.object-panel .properties[data-selected="${selected}"]`).waitFor();
  await other.getByRole('tab', { name: 'Tree' }).click();
  await assertRestored(other, before);
  // The address carries the opened view, so it can be passed on as it is.
  const opened = new URL(other.url()).hash;
  assert.match(opened, /^#view=.*section=0,50,0,100,0,100.*hide=.*select=/);
  assert.equal(opened.split('&')[0], new URL(page.url()).hash.split('&')[0], 'the same camera');
  await screenshot(other, 'review-1920-named-view-opened');
  await screenshotPhone(other, 'named-views');

  // Its author deletes it, after confirming.
  await page.locator('.saved-view', { hasText: 'Ground floor, west half' }).locator('summary', { hasText: 'Delete' }).click();
  await page.getByRole('button', { name: 'Delete view' }).click();
  await page.getByText('No saved views on this model yet.').waitFor();
  assert.deepEqual(realErrors(errors), []);
  assert.deepEqual(realErrors(otherErrors), []);
  await other.context().close();
  await page.context().close();
});

test('a public project\'s model embeds on another site, the viewer alone', async () => {
  const { page, errors } = await reviewerPage(DESKTOP);
  await page.goto(modelUrl);
  await page.locator('html[data-hydrated="true"]').waitFor({ timeout: 30_000 });
  await page.getByText('Embed this model on another site').click();
  const snippet = await page.locator('#embed-code').inputValue();
  const src = snippet.match(/src="([^"]+)"/)[1];
  assert.match(src, new RegExp(`^${BASE_URL}/embed/projects/`));
  // Other pages stay unframable; the embed page says anyone may frame it.
  assert.equal((await fetch(modelUrl)).headers.get('x-frame-options'), 'DENY');
  const framed = await fetch(src);
  assert.equal(framed.headers.get('x-frame-options'), null);
  assert.match(framed.headers.get('content-security-policy'), /frame-ancestors \*/);

  // Another site's page frames it: served at `localhost`, another site than 127.0.0.1 (so no
  // session cookie reaches the frame), and local, as browsers want a page that frames a
  // loopback server to be.
  const other = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(`<!doctype html><title>Portfolio</title><h1>A practice's portfolio</h1>${snippet}`);
  });
  await new Promise((resolve) => other.listen(0, '127.0.0.1', resolve));
  const { page: site, errors: siteErrors } = await openPage(browser);
  await site.setViewportSize(DESKTOP);
  await site.goto(`http://localhost:${other.address().port}/`);
  const frame = site.frameLocator('iframe');
  await frame.locator('canvas.viewer-canvas[data-loaded="true"]').waitFor({ timeout: 60_000 });
  assert.equal(await frame.locator('.topbar').count(), 0, 'the viewer alone, without the site\'s header');
  const image = await canvasImage(frame.locator('canvas.viewer-canvas'));
  const drawn = countPixels(image, { painted: 0 }, (counts, r, g, b) => {
    if (b > r + 60 || g > r + 50) counts.painted++;
  }).painted;
  assert.ok(drawn > 5000, `the embedded model is drawn (${drawn} pixels)`);
  await screenshot(site, 'review-1920-embed');
  await screenshotPhone(site, 'embed');
  assert.deepEqual(realErrors(errors), []);
  assert.deepEqual(realErrors(siteErrors), []);
  await site.context().close();
  other.close();
  await page.context().close();
});

test('deleting a version asks first', async () => {
  const { page, errors } = await reviewerPage();
  await page.goto(modelUrl);
  const row = page.locator('tr[data-version]').first();
  await row.getByText('Edit').click();
  const remove = row.getByRole('button', { name: 'Delete version' });
  assert.equal(await remove.isVisible(), false, 'the delete button is behind a confirmation');
  await row.getByText('Delete version…').click();
  await remove.waitFor();
  assert.match(await row.locator('.confirm-body').innerText(), /cannot be undone/);
  await screenshot(page, 'review-delete-version-confirm');
  assert.deepEqual(realErrors(errors), []);
  await page.context().close();
});
