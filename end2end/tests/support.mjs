// Shared by the browser tests: launches Debian's Chromium through playwright-core and records
// console errors, so every test can assert that the page raised none.
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const BASE_URL = process.env.BASE_URL ?? 'http://127.0.0.1:3000';
export const ARTIFACTS = process.env.E2E_ARTIFACTS ?? join(import.meta.dirname, '..', 'test-results');
mkdirSync(ARTIFACTS, { recursive: true });

function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
    ],
  });
}

/** The browser a test file's tests share, once `useBrowser` has launched it. */
export let browser;

/**
 * Launches `browser` before the test file's first test, then runs `setUp` (in the same hook: a
 * file's own top-level `before` may start before this one has finished), and closes it after its
 * last test.
 */
export function useBrowser(setUp = async () => {}) {
  before(async () => {
    browser = await launch();
    await setUp();
  });
  after(async () => { await browser?.close(); });
}

/**
 * A new page, in a browser context of its own with `options` (viewport, colorScheme,
 * storageState…), whose console errors and uncaught exceptions are collected in `errors`.
 */
export async function openPage(browser, options = {}) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, ...options });
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(String(error)));
  return { page, errors };
}

/** Console errors other than the browser's own notes on 4xx answers the tests cause on purpose. */
export function realErrors(errors) {
  return errors.filter((e) => !e.includes('status of 4'));
}

/** Waits until the page's header shows `name` signed in. */
export async function signedInAs(page, name) {
  await page.locator('.account .who', { hasText: name }).waitFor({ timeout: 15_000 });
}

/** Fills in the sign-up form as `person` and waits until they are signed in. */
export async function signUp(page, person) {
  await page.goto(`${BASE_URL}/authn/register`);
  await page.getByLabel('Name').fill(person.name);
  await page.getByLabel('E-mail address').fill(person.email);
  await page.getByLabel('Password').fill(person.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await signedInAs(page, person.name);
}

/** Sends the sign-in form with `email` and `password`; what should follow is the caller's to await. */
export async function submitSignIn(page, email, password) {
  await page.goto(`${BASE_URL}/authn/login`);
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs `person` in and waits until they are. */
export async function signIn(page, person) {
  await submitSignIn(page, person.email, person.password);
  await signedInAs(page, person.name);
}

/** Opens the link of the verification mail sent to `email` and waits until the address is verified. */
export async function verifyEmail(page, email) {
  const mail = await waitForMail(email, 'Verify your e-mail address for Fleck');
  await page.goto(linkIn(mail, `${BASE_URL}/auth/verifyemail?t=`));
  await page.getByText('Your e-mail address is verified').waitFor();
}

/** On a model page with no imports yet, imports a fixture file and waits for its version. */
export async function importIntoModel(page, fixture) {
  await page.locator('[data-empty="imports"]').waitFor();
  const file = new URL(`../fixtures/${fixture}`, import.meta.url).pathname;
  await page.locator('[data-import-input]').setInputFiles(file);
  await page.locator(`.import[data-import="${fixture}"][data-status="success"]`).waitFor({ timeout: 90_000 });
  await page.locator('tr[data-version]', { hasText: `File upload: ${fixture}` }).waitFor({ timeout: 15_000 });
}

export function screenshot(page, name) {
  return page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * Waits for an e-mail to `to` whose subject is `subject`, from the SMTP capture server
 * (E2E_MAILDEV_URL) or the outbox folder (E2E_OUTBOX), and returns its raw text.
 */
export async function waitForMail(to, subject, timeoutMs = 15_000) {
  const { readdir, readFile } = await import('node:fs/promises');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (process.env.E2E_MAILDEV_URL) {
      const mails = await (await fetch(`${process.env.E2E_MAILDEV_URL}/api/email`)).json();
      const found = mails.filter((m) => m.subject === subject && m.to.some((t) => t.address === to)).pop();
      if (found) return `${found.text}\n${found.html ?? ''}`;
    } else if (process.env.E2E_OUTBOX) {
      const files = await readdir(process.env.E2E_OUTBOX).catch(() => []);
      for (const file of files) {
        const text = await readFile(join(process.env.E2E_OUTBOX, file), 'utf8');
        if (text.includes(`To: ${to}`) && text.includes(`Subject: ${subject}`)) return text;
      }
    } else {
      throw new Error('set E2E_MAILDEV_URL or E2E_OUTBOX so the tests can read mail');
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no mail "${subject}" to ${to} within ${timeoutMs} ms`);
}

/** The first link in a mail starting with `prefix` (undoing quoted-printable line wrapping). */
export function linkIn(mail, prefix) {
  const text = mail.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const start = text.indexOf(prefix);
  if (start < 0) throw new Error(`no link starting with ${prefix} in:\n${mail}`);
  return text.slice(start).split(/[\s"<]/)[0].replace(/&amp;/g, '&');
}

/**
 * The pixels of a canvas (a locator), copied through a 2D canvas, as `{ data }` with 4 bytes (RGBA)
 * a pixel; with `band` ([from, to], fractions of the height) only the rows between those.
 */
export function canvasImage(canvas, band = [0, 1]) {
  return canvas.evaluate((source, [from, to]) => {
    const copy = document.createElement('canvas');
    copy.width = source.width; copy.height = source.height;
    const context = copy.getContext('2d');
    context.drawImage(source, 0, 0);
    const top = Math.floor(source.height * from);
    return { data: context.getImageData(0, top, source.width, Math.floor(source.height * (to - from))).data };
  }, band);
}

/** Counts an image's pixels: `classify(counts, r, g, b)` adds each pixel to the counts it belongs to. */
export function countPixels({ data }, counts, classify) {
  for (let i = 0; i < data.length; i += 4) classify(counts, data[i], data[i + 1], data[i + 2]);
  return counts;
}

/** Waits for the next two frames, so a change has been drawn. */
export function frames(page) {
  return page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

/** Where a scene point (metres, Z up) appears in the canvas for the orbit in `#view=`. */
export function project(orbit, point, width, height) {
  const [tx, ty, tz, distance, azimuth, elevation] = orbit;
  const eye = [
    tx + distance * Math.cos(elevation) * Math.cos(azimuth),
    ty + distance * Math.cos(elevation) * Math.sin(azimuth),
    tz + distance * Math.sin(elevation),
  ];
  const sub = (a, b) => a.map((v, i) => v - b[i]);
  const dot = (a, b) => a.reduce((s, v, i) => s + v * b[i], 0);
  const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const unit = (a) => a.map((v) => v / Math.hypot(...a));
  const forward = unit(sub([tx, ty, tz], eye));
  const right = unit(cross(forward, [0, 0, 1]));
  const up = cross(right, forward);
  const d = sub(point, eye);
  const depth = dot(d, forward);
  const half = Math.tan(Math.PI / 8); // the viewer's 45° vertical field of view
  const x = dot(d, right) / (depth * half * (width / height));
  const y = dot(d, up) / (depth * half);
  return [(x + 1) / 2 * width, (1 - y) / 2 * height];
}
