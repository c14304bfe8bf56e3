// Review workflows on the model page: a comment pinned on an element of one version, mentioning
// a reviewer (who gets a mail, having chosen mails of mentions but not of replies), answered by the reviewer on the next version (the reply shows on
// the author's open page without reloading, and reaches them by mail), reopened from the mail's
// link with its saved view; and two versions compared, coloured and listed. The versions are two
// specklepy sends of the same elements (end2end/clients/send_model.py `before` and `after`):
// wall-a's fire rating changes, wall-b moves, the door goes and a window comes.
// Screenshots at 1920×1080 go to the test artefacts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BASE_URL, browser, canvasImage, countPixels, frames, linkIn, openPage, project, realErrors, screenshot, signUp, useBrowser, verifyEmail, waitForMail } from './support.mjs';

useBrowser();

const stamp = Date.now();
const owner = { name: 'Lina Bo Bardi', email: `lina-${stamp}@example.com`, password: 'concrete and glass' };
const reviewer = { name: 'Jane Drew', email: `jane-${stamp}@example.com`, password: 'tropical architecture' };
const projectName = `Review ${stamp}`;
const DESKTOP = { width: 1920, height: 1080 };
/** Signed-in sessions, kept so each person signs in once (sign-ins are rate limited). */
const sessions = {};
let projectUrl;
let modelUrl;
let versions;

/** A page in a new browser context, signed in as `person` once they have a session. */
function pageOf(person) {
  return openPage(browser, { viewport: DESKTOP, storageState: sessions[person.email] });
}

async function signUpAs(person) {
  const { page } = await pageOf(person);
  await signUp(page, person);
  await verifyEmail(page, person.email);
  sessions[person.email] = await page.context().storageState();
  return page;
}

/** Opens the model page (a version, a view) and waits until the model is drawn. */
async function openModel(page, { version, fragment = '' } = {}) {
  await page.goto(`${modelUrl}${version ? `?version=${version}` : ''}${fragment}`);
  await page.locator('html[data-hydrated="true"]').waitFor({ timeout: 30_000 });
  await page.locator('canvas.viewer-canvas[data-loaded="true"]').waitFor({ timeout: 60_000 });
}

/** The `view=` part of a page's address. */
function cameraOf(page) {
  return new URL(page.url()).hash.slice(1).split('&').find((part) => part.startsWith('view='));
}

test('an owner sends two versions with specklepy and a reviewer joins the project', async () => {
  const ownerPage = await signUpAs(owner);
  await ownerPage.getByLabel('Name', { exact: true }).fill(projectName);
  await ownerPage.getByRole('button', { name: 'Create project' }).click();
  await ownerPage.waitForURL(/\/projects\/[^/?]+$/);
  projectUrl = ownerPage.url();
  const modelHref = await ownerPage.locator('.model-line[data-model="main"] a.model-name').getAttribute('href');
  modelUrl = new URL(modelHref, BASE_URL).href;

  await ownerPage.goto(`${BASE_URL}/profile`);
  await ownerPage.locator('#token-name').fill('review tests');
  for (const scope of ['streams:read', 'streams:write', 'profile:read']) {
    await ownerPage.locator(`#scope-${scope.replace(':', '-')}`).check();
  }
  await ownerPage.getByRole('button', { name: 'Create token' }).click();
  const token = await ownerPage.locator('#new-token').inputValue();
  const python = process.env.E2E_PYTHON ?? 'python3';
  const script = new URL('../clients/send_model.py', import.meta.url).pathname;
  const projectId = new URL(projectUrl).pathname.split('/').pop();
  const modelId = modelHref.split('/').pop();
  const send = (kind) => execFileSync(python, [script, BASE_URL, token, projectId, modelId, kind], { encoding: 'utf8' }).trim();
  versions = { before: send('before'), after: send('after') };

  const reviewerPage = await signUpAs(reviewer);
  await ownerPage.goto(`${projectUrl}/settings`);
  await ownerPage.getByLabel('E-mail address').fill(reviewer.email);
  await ownerPage.getByLabel('Role', { exact: true }).selectOption('stream:reviewer');
  await ownerPage.getByRole('button', { name: 'Send invitation' }).click();
  const mail = await waitForMail(reviewer.email, `${owner.name} invited you to ${projectName}`);
  await reviewerPage.goto(linkIn(mail, `${projectUrl}?token=`));
  await reviewerPage.getByRole('button', { name: 'Accept and open the project' }).click();
  await reviewerPage.locator('.model-line[data-model="main"]').waitFor();
  await ownerPage.context().close();

  // The reviewer keeps mails of mentions but not of replies (mentions still reach them below).
  await reviewerPage.goto(`${BASE_URL}/profile`);
  const replyMails = () => reviewerPage.getByLabel('replies in a thread I started or answered');
  const mentionMails = () => reviewerPage.getByLabel('mentions me in a comment');
  assert.ok(await mentionMails().isChecked() && await replyMails().isChecked(), 'every comment e-mail is on at first');
  await replyMails().uncheck();
  await reviewerPage.getByRole('button', { name: 'Save e-mail choices' }).click();
  await reviewerPage.getByText('Your choices are saved.').waitFor();
  await reviewerPage.reload();
  assert.equal(await replyMails().isChecked(), false);
  assert.equal(await mentionMails().isChecked(), true);
  await reviewerPage.context().close();
});

test('a comment pinned on an element is answered on the next version and reopens with its view', async () => {
  // The owner pins a comment on wall-a of the first version, seen from a known camera.
  const { page, errors } = await pageOf(owner);
  const orbit = [3, 0.5, 0.5, 9, -1.2, 0.6];
  await openModel(page, { version: versions.before, fragment: `#view=${orbit.join(',')}` });
  const canvas = page.locator('canvas.viewer-canvas');
  const box = await canvas.boundingBox();
  const [x, y] = project(orbit, [0.5, 0.5, 1], box.width, box.height);
  await page.getByRole('button', { name: 'Comment', exact: true }).click();
  await page.getByText('Click a point on an element to pin a comment there.').waitFor();
  await page.mouse.click(box.x + x, box.y + y);
  // `@` and the start of a name offers the project's members; choosing one completes the name.
  const commentBox = page.getByLabel('New comment at the pinned point');
  await commentBox.fill('Is REI 30 enough for this wall? @dr');
  await page.getByRole('list', { name: 'Members to mention' }).getByRole('button', { name: reviewer.name }).click();
  assert.equal(await commentBox.inputValue(), `Is REI 30 enough for this wall? @${reviewer.name} `);
  const savedCamera = cameraOf(page);
  assert.ok(savedCamera, 'the view is in the address');
  await page.getByRole('button', { name: 'Post comment' }).click();
  const opened = page.locator('.thread[data-open-thread]');
  await opened.waitFor();
  const threadId = await opened.getAttribute('data-open-thread');
  assert.match(page.url(), new RegExp(`thread=${threadId}`), 'the open thread is in the address');
  const pin = page.locator(`.comment-pin[data-thread="${threadId}"]`);
  await pin.waitFor();
  const pinBox = await pin.boundingBox();
  assert.ok(Math.abs(pinBox.x + pinBox.width / 2 - (box.x + x)) < 3 && Math.abs(pinBox.y + pinBox.height / 2 - (box.y + y)) < 3,
    'the pin floats where the wall was clicked');
  await screenshot(page, 'comments-1920-pinned');
  // The pin follows the model when the camera moves.
  await canvas.focus();
  await page.keyboard.press('ArrowLeft');
  await frames(page);
  const moved = await pin.boundingBox();
  assert.ok(Math.abs(moved.x - pinBox.x) > 5, 'the pin moved with the model');
  // The mention tells the reviewer by mail.
  const mention = await waitForMail(reviewer.email, `${owner.name} mentioned you in ${projectName}`);
  assert.match(mention, /Is REI 30 enough for this wall\?/);
  assert.match(mention, /@Jane Drew/);

  // The reviewer sees the thread on the newer version, from another camera, badged with its version.
  const { page: review, errors: reviewErrors } = await pageOf(reviewer);
  await openModel(review, { fragment: '#view=3,0.5,0.5,20,0.5,0.3' });
  await review.getByRole('tab', { name: 'Comments' }).click();
  const item = review.locator(`.thread-list li[data-thread="${threadId}"]`);
  await item.waitFor();
  assert.match(await item.innerText(), /from version 1/);
  assert.match(await item.innerText(), /Is REI 30 enough for this wall\?/);
  await screenshot(review, 'comments-1920-list');
  await item.getByRole('button').click();
  await review.waitForFunction((camera) => window.location.hash.includes(camera), savedCamera);
  await review.getByLabel('Reply').fill('REI 60 from the next issue on.');
  await review.getByRole('button', { name: 'Send reply' }).click();
  await review.locator('.replies[data-replies="1"]').waitFor();
  assert.match(await review.locator('.replies').innerText(), /REI 60 from the next issue on\./);
  // A reviewer may comment, but resolving someone else's thread is the owner's.
  assert.equal(await review.getByRole('button', { name: 'Resolve' }).count(), 0);
  await screenshot(review, 'comments-1920-reply');
  assert.deepEqual(realErrors(reviewErrors), []);
  await review.context().close();

  // The owner's page, open all along, shows the reply without being reloaded.
  await page.locator(`.thread[data-open-thread="${threadId}"] .replies[data-replies="1"]`).waitFor({ timeout: 15_000 });
  assert.match(await page.locator('.replies').innerText(), /REI 60 from the next issue on\./);
  assert.deepEqual(realErrors(errors), []);
  await page.context().close();

  // The owner is told by mail, and its link reopens the thread with its saved view.
  const mail = await waitForMail(owner.email, `${reviewer.name} replied in ${projectName}`);
  assert.match(mail, /REI 60 from the next issue on\./);
  const link = linkIn(mail, `${BASE_URL}/projects/`);
  assert.match(link, new RegExp(`#thread=${threadId}$`));
  const { page: again, errors: againErrors } = await pageOf(owner);
  await again.goto(link);
  await again.locator('canvas.viewer-canvas[data-loaded="true"]').waitFor({ timeout: 60_000 });
  await again.locator(`.thread[data-open-thread="${threadId}"] .replies[data-replies="1"]`).waitFor();
  await again.waitForFunction((camera) => window.location.hash.includes(camera), savedCamera);
  await frames(again);
  const restored = await again.locator(`.comment-pin[data-thread="${threadId}"]`).boundingBox();
  assert.ok(Math.abs(restored.x - pinBox.x) < 3 && Math.abs(restored.y - pinBox.y) < 3,
    `the saved camera shows the pin where it was placed (${restored.x},${restored.y} vs ${pinBox.x},${pinBox.y})`);
  await screenshot(again, 'comments-1920-reopened');

  // On the version it was written on, the element it is pinned on is selected too.
  await again.goto(`${modelUrl}?version=${versions.before}#thread=${threadId}`);
  await again.locator('.object-panel .selected-title', { hasText: 'wall-a' }).waitFor({ timeout: 60_000 });

  // Resolving archives it: it leaves the open threads for the resolved ones.
  await again.getByRole('button', { name: 'Resolve' }).click();
  await again.locator('.thread-filter [aria-pressed="true"]', { hasText: 'Resolved' }).waitFor();
  await again.locator(`.thread-list li[data-thread="${threadId}"]`).waitFor();
  await again.getByRole('button', { name: 'Open', exact: true }).click();
  await again.locator('[data-empty="threads"]').waitFor();
  // The mail's link still opens it, among the resolved threads.
  await again.goto(link);
  await again.locator(`.thread[data-open-thread="${threadId}"] .badge`, { hasText: 'Resolved' }).waitFor({ timeout: 60_000 });
  await again.getByRole('button', { name: 'Open again' }).waitFor();
  assert.deepEqual(realErrors(againErrors), []);
  await again.context().close();
});

/** Canvas pixels by the colour compare mode draws them in (lit, so judged by hue). */
async function changeColours(page) {
  const image = await canvasImage(page.locator('canvas.viewer-canvas').first());
  return countPixels(image, { green: 0, amber: 0, red: 0, grey: 0 }, (counts, r, g, b) => {
    if (g > r + 50 && g > b + 30) counts.green++;
    else if (r > 120 && r > g + 25 && g > b + 50) counts.amber++;
    else if (r > g + 30 && r > b + 30 && Math.abs(g - b) < 30) counts.red++;
    else if (Math.abs(r - g) < 12 && Math.abs(g - b) < 12 && r < 215 && r > 60) counts.grey++;
  });
}

test('comparing two versions colours what changed and lists it by category', async () => {
  const { page, errors } = await pageOf(reviewer);
  // Looking down on the four elements from the south.
  await openModel(page, { fragment: '#view=3.5,0.5,0.5,14,-1.5708,1.2' });
  const plain = await changeColours(page);
  assert.equal(plain.green + plain.amber, 0, 'the model is drawn in its own colours before comparing');
  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  assert.equal(await page.getByLabel('Compare this version with').inputValue(), versions.before, 'the previous version by default');
  await page.getByRole('button', { name: 'Show changes' }).click();
  const legend = page.locator('.change-legend');
  await legend.waitFor({ timeout: 60_000 });
  assert.deepEqual({ ...(await legend.evaluate((e) => e.dataset)) }, { added: '1', removed: '1', changed: '2', unchanged: '0' });
  const listed = await page.locator('.change-list li').evaluateAll((items) => items.map((li) => `${li.dataset.change} ${li.querySelector('button').innerText}`));
  assert.deepEqual(listed.sort(), ['added window', 'changed wall-a', 'changed wall-b', 'removed door']);
  assert.equal(await page.locator('.change-group').count(), 1, 'one category: the boxes are all meshes');
  await frames(page);
  const colours = await changeColours(page);
  assert.ok(colours.green > 500, `the added window is green (${colours.green} pixels)`);
  assert.ok(colours.amber > 1000, `the changed walls are amber (${colours.amber} pixels)`);
  assert.ok(colours.red > 300, `the removed door is drawn red (${colours.red} pixels)`);
  await screenshot(page, 'compare-1920-colours');

  // A changed element's properties show old → new; a removed one can be flown to.
  await page.locator('.change-list li[data-change="changed"]', { hasText: 'wall-a' }).getByRole('button').click();
  const change = page.locator('.object-panel [data-group="Changes"] tr', { hasText: 'FireRating' });
  await change.waitFor();
  assert.match(await change.innerText(), /REI 30\s*→\s*REI 60/);
  await screenshot(page, 'compare-1920-property-change');
  const before = cameraOf(page);
  await page.locator('.change-list li[data-change="removed"]').getByRole('button').click();
  await page.waitForFunction((camera) => !window.location.hash.includes(camera), before);
  const door = await page.locator('.change-list li[data-change="removed"]').getAttribute('data-object');
  await page.locator(`.object-panel .properties[data-selected="${door}"]`).waitFor();
  await page.getByRole('button', { name: 'End comparison' }).click();
  await frames(page);
  const after = await changeColours(page);
  assert.equal(after.green + after.amber, 0, 'ending the comparison draws the model as it is');
  assert.deepEqual(realErrors(errors), []);
  await page.context().close();
});
