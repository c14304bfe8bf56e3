// The web app follows the system's colour scheme: with dark mode set, every page that a new user
// walks through (signed-out home, sign-up, dashboard, project, model) is dark with light text, and
// every piece of visible text is readable against what is behind it (WCAG contrast ≥ 4.5); with
// light mode set, the pages stay light. On a 390 px phone the header stays on one line, "Sign out"
// shows whole, and nothing (the version picker included) makes the page wider than the screen.
// Screenshots in dark mode at 1920×1080 and 390×844 go to the test artefacts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, browser, importIntoModel, openPage, realErrors, screenshot, signUp, useBrowser, verifyEmail } from './support.mjs';

useBrowser();

const stamp = Date.now();
const person = { name: 'Dorothy Johnson Vaughan', email: `dorothy-${stamp}@example.com`, password: 'night shift at langley' };
const projectName = `Langley wind tunnel ${stamp}`;
let session;
let projectUrl;
let modelUrl;

const DESKTOP = { width: 1920, height: 1080 };
const PHONE = { width: 390, height: 844 };
/** WCAG 2's minimum contrast for body text. */
const READABLE = 4.5;

/** A page in a new browser context with the given colour scheme and viewport, signed in once
 * `session` is set (pass `signedIn: false` for a visitor), collecting console errors. */
function pageWith({ scheme = 'dark', viewport = DESKTOP, signedIn = true } = {}) {
  return openPage(browser, {
    viewport, colorScheme: scheme, ...(signedIn && session ? { storageState: session } : {}),
  });
}

async function open(page, url) {
  await page.goto(url);
  await page.locator('html[data-hydrated="true"]').waitFor({ timeout: 30_000 });
}

/**
 * Installs `window.readability` in the page: for an element, its text colour, the colour behind
 * it (its own background and its ancestors' composited down to the first opaque one) and the
 * WCAG contrast ratio between them.
 */
function installReadability(page) {
  return page.evaluate(() => {
    const parse = (value) => {
      const m = value.match(/^rgba?\(([^)]*)\)$/);
      if (!m) throw new Error(`a colour this test cannot read: ${value}`);
      const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return [r, g, b, a];
    };
    const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat(1);
    const luminance = ([r, g, b]) => {
      const [R, G, B] = [r, g, b].map((c) => {
        const s = c / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * R + 0.7152 * G + 0.0722 * B;
    };
    const backdrop = (element) => {
      const layers = [];
      for (let node = element; node; node = node.parentElement) {
        const colour = parse(getComputedStyle(node).backgroundColor);
        if (colour[3] > 0) layers.push(colour);
        if (colour[3] >= 1) break;
      }
      if (!layers.length || layers.at(-1)[3] < 1) throw new Error('no opaque background behind the page');
      return layers.reverse().reduce((below, layer) => over(layer, below));
    };
    window.readability = (element) => {
      const background = backdrop(element);
      const text = over(parse(getComputedStyle(element).color), background);
      const [light, dark] = [luminance(text), luminance(background)].sort((a, b) => b - a);
      const rgb = (c) => `rgb(${c.slice(0, 3).map(Math.round).join(', ')})`;
      return { ratio: (light + 0.05) / (dark + 0.05), text: rgb(text), background: rgb(background), luminance: luminance(background) };
    };
    // Every visible element with text of its own, except inactive controls (dimmed on purpose,
    // which WCAG exempts) and what is hidden for screen readers only.
    window.textElements = () => [...document.querySelectorAll('body *')].filter((element) => {
      if (![...element.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim())) return false;
      if (element.closest('.visually-hidden, [hidden], option, script, style, noscript')) return false;
      const box = element.getBoundingClientRect();
      if (box.width < 2 || box.height < 2) return false;
      for (let node = element; node; node = node.parentElement) {
        const style = getComputedStyle(node);
        if (style.visibility !== 'visible' && node === element) return false;
        if (style.display === 'none' || Number(style.opacity) < 1 || node.matches(':disabled')) return false;
      }
      return true;
    });
  });
}

/** The contrast of the first element matching `selector`. */
async function contrastOf(page, selector) {
  await installReadability(page);
  const found = page.locator(selector).first();
  await found.waitFor();
  return found.evaluate((element) => window.readability(element));
}

/** Asserts that the first element matching each selector is readable, and returns them all. */
async function assertReadable(page, where, selectors) {
  for (const selector of selectors) {
    const { ratio, text, background } = await contrastOf(page, selector);
    assert.ok(ratio >= READABLE, `${where}: ${selector} has contrast ${ratio.toFixed(2)} (${text} on ${background})`);
  }
}

/** Asserts that every visible piece of text on the page is readable. */
async function assertAllTextReadable(page, where) {
  await installReadability(page);
  const checked = await page.evaluate(() => window.textElements().length);
  assert.ok(checked >= 5, `${where}: ${checked} elements with text checked`);
  const poor = await page.evaluate((minimum) => window.textElements().map((element) => {
    const { ratio, text, background } = window.readability(element);
    const name = `${element.tagName.toLowerCase()}${element.className ? `.${String(element.className).trim().split(/\s+/).join('.')}` : ''}`;
    return { name, ratio, text, background, says: element.textContent.trim().slice(0, 30) };
  }).filter((found) => found.ratio < minimum), READABLE);
  assert.deepEqual(poor.map((p) => `${p.name} "${p.says}": ${p.ratio.toFixed(2)} (${p.text} on ${p.background})`), [],
    `${where}: every text is readable`);
}

/** Asserts that the page follows the scheme: a dark page with light text, or the reverse. */
async function assertScheme(page, scheme, where) {
  await installReadability(page);
  const { pageLuminance, textLuminance, declared } = await page.evaluate(() => {
    const root = document.documentElement;
    const parse = (value) => value.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
    const luminance = ([r, g, b]) => [r, g, b].map((c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    }).reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
    return {
      pageLuminance: luminance(parse(getComputedStyle(root).backgroundColor)),
      textLuminance: luminance(parse(getComputedStyle(document.querySelector('main')).color)),
      declared: getComputedStyle(root).colorScheme,
    };
  });
  assert.match(declared, /light dark|dark light/, 'form controls and scrollbars follow the scheme too');
  if (scheme === 'dark') {
    assert.ok(pageLuminance < 0.05, `${where}: the page is dark (luminance ${pageLuminance.toFixed(3)})`);
    assert.ok(textLuminance > 0.6, `${where}: the text is light (luminance ${textLuminance.toFixed(3)})`);
  } else {
    assert.ok(pageLuminance > 0.8, `${where}: the page is light (luminance ${pageLuminance.toFixed(3)})`);
    assert.ok(textLuminance < 0.05, `${where}: the text is dark (luminance ${textLuminance.toFixed(3)})`);
  }
}

/** On a phone: the header is one line, nothing passes the screen's right edge, "Sign out" shows. */
async function assertFitsPhone(page, where) {
  const header = await page.locator('header.topbar').boundingBox();
  assert.ok(header.height <= 64, `${where}: the header is one line (${header.height} px high)`);
  const lines = await page.locator('header.topbar a, header.topbar button, header.topbar .who').evaluateAll((items) =>
    items.map((item) => { const box = item.getBoundingClientRect(); return Math.round(box.top + box.height / 2); }));
  assert.ok(Math.max(...lines) - Math.min(...lines) <= 4, `${where}: the header's items share one line (${lines})`);
  const wide = await page.evaluate((width) => [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > width + 1 && !e.closest('.table-scroll, .visually-hidden'))
    .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className}`), PHONE.width);
  assert.deepEqual(wide, [], `${where}: nothing passes the screen's right edge`);
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= PHONE.width, `${where}: the page is ${scrollWidth} px wide`);
  const signOut = page.getByRole('button', { name: 'Sign out' });
  const box = await signOut.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, `${where}: "Sign out" is on screen (${box.x}–${box.x + box.width})`);
  assert.ok(box.height < 32, `${where}: "Sign out" is one line (${box.height} px high)`);
  const name = await page.locator('header .who').boundingBox();
  assert.ok(name.width >= 48, `${where}: some of the user's name still shows (${name.width} px)`);
  const whole = await signOut.evaluate((button) => {
    const box = button.getBoundingClientRect();
    const clipped = button.scrollWidth > button.clientWidth + 1;
    const onTop = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return !clipped && button.contains(onTop) && button.innerText.trim() === 'Sign out';
  });
  assert.ok(whole, `${where}: "Sign out" shows whole and uncovered`);
}

test('the signed-out home and sign-up pages follow dark mode and stay readable', async () => {
  for (const viewport of [DESKTOP, PHONE]) {
    const { page, errors } = await pageWith({ viewport, signedIn: false });
    await open(page, `${BASE_URL}/`);
    await assertScheme(page, 'dark', `home at ${viewport.width}`);
    await assertReadable(page, 'home', ['.brand', 'header .account a', 'main h1', '.lead', '.panel h2', '.button']);
    await assertAllTextReadable(page, `home at ${viewport.width}`);
    await screenshot(page, `dark-${viewport.width}-home`);

    await open(page, `${BASE_URL}/authn/register`);
    await assertScheme(page, 'dark', 'sign-up');
    await page.getByLabel('Name').fill('Someone typing');
    await assertReadable(page, 'sign-up', ['form label', 'form input[type="text"]', 'form .button']);
    await assertAllTextReadable(page, `sign-up at ${viewport.width}`);
    await screenshot(page, `dark-${viewport.width}-sign-up`);
    assert.deepEqual(realErrors(errors), []);
    await page.context().close();
  }
});

test('the dashboard and a project page follow dark mode; notices, inputs and cards are readable', async () => {
  const { page, errors } = await pageWith({ viewport: DESKTOP, signedIn: false });
  await signUp(page, person);

  // Until the address is verified the dashboard asks for it in a notice; a failed link shows an error.
  await open(page, `${BASE_URL}/?emailverifiederror=the link has expired`);
  await assertScheme(page, 'dark', 'dashboard');
  await assertReadable(page, 'dashboard', ['.notice:not(.error) p', '.notice .link-button', '.notice.error']);
  await page.getByLabel('Name', { exact: true }).fill('A project name being typed');
  await assertReadable(page, 'dashboard', ['form input[type="text"]', '.search input', '.panel h2']);
  await assertAllTextReadable(page, 'unverified dashboard');
  await screenshot(page, 'dark-1920-dashboard-notices');

  await verifyEmail(page, person.email);
  await assertReadable(page, 'dashboard', ['.notice.ok']);
  session = await page.context().storageState();

  await page.getByLabel('Name', { exact: true }).fill(projectName);
  await page.getByLabel('Description').fill('Full-scale tunnel, tested at night');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.waitForURL(/\/projects\/[^/?]+$/);
  projectUrl = page.url();
  await page.locator('html[data-hydrated="true"]').waitFor({ timeout: 30_000 });
  await page.locator('.model-line[data-model="main"]').waitFor();
  await assertScheme(page, 'dark', 'project');
  await assertReadable(page, 'project', ['.project-head h1', '.badge.role', '.tabs a[aria-current="page"]', '.model-name', 'summary']);
  await page.getByText('New model').click();
  await assertReadable(page, 'project', ['.new-model input[type="text"]']);
  await assertAllTextReadable(page, 'project');
  await screenshot(page, 'dark-1920-project');

  await open(page, `${BASE_URL}/`);
  await page.locator('.project-tile', { hasText: projectName }).waitFor();
  await assertReadable(page, 'dashboard', ['.project-tile .tile-link', '.project-tile .tile-description', '.project-tile .badge.role', '.project-tile .hint']);
  await assertAllTextReadable(page, 'dashboard');
  await screenshot(page, 'dark-1920-dashboard');
  assert.deepEqual(realErrors(errors), []);
  await page.context().close();

  for (const [url, where] of [[`${BASE_URL}/`, 'dashboard'], [projectUrl, 'project']]) {
    const phone = await pageWith({ viewport: PHONE });
    await open(phone.page, url);
    await assertScheme(phone.page, 'dark', `${where} at 390`);
    await assertAllTextReadable(phone.page, `${where} at 390`);
    await assertFitsPhone(phone.page, `${where} at 390`);
    await screenshot(phone.page, `dark-390-${where}`);
    assert.deepEqual(realErrors(phone.errors), []);
    await phone.page.context().close();
  }
});

test('a long name without spaces keeps to its card, a project without versions shows a placeholder, and a second project of a name is asked for', async () => {
  const { page, errors } = await pageWith({ viewport: PHONE });
  const longName = `Langley${'x'.repeat(110)}${stamp}`;
  await open(page, `${BASE_URL}/`);
  await page.getByLabel('Name', { exact: true }).fill(longName);
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.waitForURL(/\/projects\/[^/?]+$/);
  await page.locator('.model-line[data-model="main"]').waitFor();
  await assertFitsPhone(page, 'a project with a long name at 390');

  await open(page, `${BASE_URL}/`);
  const tile = page.locator('.project-tile', { hasText: longName });
  await tile.locator('[data-no-preview]').waitFor();
  await assertFitsPhone(page, 'the dashboard with a long name at 390');
  await screenshot(page, 'dark-390-dashboard-long-name');

  // The same name again: the form asks, and goes ahead once told to.
  await page.getByLabel('Name', { exact: true }).fill(longName);
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.locator('.panel [role="alert"]', { hasText: 'You already have a project named' }).waitFor();
  assert.equal(page.url(), `${BASE_URL}/`, 'nothing was created yet');
  await page.getByLabel('Create another one with this name').check();
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.waitForURL(/\/projects\/[^/?]+$/);
  await open(page, `${BASE_URL}/`);
  await page.locator('.project-tile', { hasText: longName }).nth(1).waitFor();
  assert.deepEqual(realErrors(errors), []);
  await page.context().close();
});

test('a model page with a version follows dark mode, and fits a phone', async () => {
  const { page, errors } = await pageWith({ viewport: DESKTOP });
  await open(page, projectUrl);
  await page.locator('.model-line[data-model="main"] a.model-name').click();
  await page.waitForURL(/\/models\//);
  modelUrl = page.url().split('#')[0];
  await importIntoModel(page, 'two_storey_house.ifc');

  await open(page, modelUrl);
  await page.locator('canvas.viewer-canvas[data-loaded="true"]').waitFor({ timeout: 60_000 });
  await page.locator('.tree-name').first().waitFor();
  await assertScheme(page, 'dark', 'model');
  await assertReadable(page, 'model', [
    '.version-picker select', '.viewer-toolbar .button', '.viewer-panel .panel-bar [role="tab"][aria-selected="true"]',
    '.tree-name', '.viewer-hint', '.badge.import-success', 'table.list td',
  ]);
  await assertAllTextReadable(page, 'model');
  // The panels float over the view: in dark mode they are dark too.
  const panel = await contrastOf(page, '.viewer-panel .tree-name');
  assert.ok(panel.luminance < 0.05, `the model panel is dark (${panel.background})`);
  await screenshot(page, 'dark-1920-model');
  // The keyboard help, an overlay of its own.
  await page.locator('canvas.viewer-canvas').focus();
  await page.keyboard.press('?');
  await page.getByRole('dialog', { name: 'Keys and mouse' }).waitFor();
  await assertReadable(page, 'model', ['.viewer-help h3', '.viewer-help kbd']);
  await assertAllTextReadable(page, 'model with its keys shown');
  await page.keyboard.press('Escape');
  // A confirmation opens in a tinted box of its own.
  await page.locator('.row-actions > summary', { hasText: 'Edit' }).click();
  await page.getByText('Delete version…').click();
  await assertReadable(page, 'model', ['.row-actions input[type="text"]', '.confirm-body p', '.confirm-body .button.danger']);
  await assertAllTextReadable(page, 'model with a confirmation open');
  await screenshot(page, 'dark-1920-model-confirm');
  assert.deepEqual(realErrors(errors), []);
  await page.context().close();

  const phone = await pageWith({ viewport: PHONE });
  await open(phone.page, modelUrl);
  await phone.page.locator('canvas.viewer-canvas[data-loaded="true"]').waitFor({ timeout: 60_000 });
  await assertScheme(phone.page, 'dark', 'model at 390');
  await assertAllTextReadable(phone.page, 'model at 390');
  await assertFitsPhone(phone.page, 'model at 390');
  const picker = await phone.page.locator('.version-picker select').boundingBox();
  assert.ok(picker.x + picker.width <= PHONE.width, `the version picker ends at ${picker.x + picker.width} px`);
  await screenshot(phone.page, 'dark-390-model');
  assert.deepEqual(realErrors(phone.errors), []);
  await phone.page.context().close();
});

test('the project settings and profile pages follow dark mode', async () => {
  for (const viewport of [DESKTOP, PHONE]) {
    for (const [url, where] of [[`${projectUrl}/settings`, 'settings'], [`${BASE_URL}/profile`, 'profile']]) {
      const { page, errors } = await pageWith({ viewport });
      await open(page, url);
      await assertScheme(page, 'dark', `${where} at ${viewport.width}`);
      await assertAllTextReadable(page, `${where} at ${viewport.width}`);
      if (viewport === PHONE) await assertFitsPhone(page, `${where} at 390`);
      await screenshot(page, `dark-${viewport.width}-${where}`);
      assert.deepEqual(realErrors(errors), []);
      await page.context().close();
    }
  }
});

test('with light mode set the pages stay light and readable', async () => {
  for (const [url, where] of [[`${BASE_URL}/`, 'dashboard'], [projectUrl, 'project'], [modelUrl, 'model']]) {
    const { page, errors } = await pageWith({ scheme: 'light' });
    await open(page, url);
    if (where === 'model') await page.locator('canvas.viewer-canvas[data-loaded="true"]').waitFor({ timeout: 60_000 });
    await assertScheme(page, 'light', where);
    await assertAllTextReadable(page, `${where} in light mode`);
    await screenshot(page, `light-1920-${where}`);
    assert.deepEqual(realErrors(errors), []);
    await page.context().close();
  }
});
