// A person's account in the web app: sign up, verify the address from the e-mail, sign out and
// in, reset a forgotten password, and let a desktop connector use the account.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, browser, linkIn, openPage, realErrors, screenshot, signedInAs, submitSignIn, useBrowser, verifyEmail, waitForMail } from './support.mjs';

useBrowser();

const email = `ada-${Date.now()}@example.com`;
const password = 'correct horse battery';

test('a new user signs up, verifies the address, signs out and in again', async () => {
  const { page, errors } = await openPage(browser);
  await page.goto(`${BASE_URL}/authn/register`);
  await page.locator('[data-interactive], form').first().waitFor();
  await page.getByLabel('Name').fill('Ada Lovelace');
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(password);
  await screenshot(page, 'sign-up');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(`${BASE_URL}/`);
  await signedInAs(page, 'Ada Lovelace');
  await page.getByText(`Please verify ${email}`).waitFor();

  await verifyEmail(page, email);
  assert.equal(await page.getByText(`Please verify ${email}`).count(), 0);
  await screenshot(page, 'verified');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('.account').getByRole('link', { name: 'Sign in' }).waitFor();

  await submitSignIn(page, email, 'not the password');
  await page.getByRole('alert').filter({ hasText: 'Wrong e-mail address or password' }).waitFor();
  await screenshot(page, 'sign-in-failed');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await signedInAs(page, 'Ada Lovelace');
  assert.deepEqual(realErrors(errors), []);
  await page.close();
});

test('a forgotten password is reset from the e-mailed link', async () => {
  const { page } = await openPage(browser);
  await page.goto(`${BASE_URL}/authn/forgot-password`);
  await page.getByLabel('E-mail address').fill(email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await page.getByText('a link to reset its password is on its way').waitFor();

  const mail = await waitForMail(email, 'Reset your Fleck password');
  await page.goto(linkIn(mail, `${BASE_URL}/authn/reset-password?token=`));
  await page.getByLabel('New password', { exact: true }).fill('a brand new secret');
  await page.getByLabel('New password again').fill('a different secret');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await page.getByRole('alert').filter({ hasText: 'The two passwords differ' }).waitFor();
  await page.getByLabel('New password again').fill('a brand new secret');
  await screenshot(page, 'reset-password');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await signedInAs(page, 'Ada Lovelace');
  await page.close();
});

test('a desktop connector gets an access code after the user allows it', async () => {
  const { page } = await openPage(browser);
  const challenge = `challenge${Date.now()}`;
  // The connector listens on localhost:29363; answer for it and keep the code it would get.
  let received;
  await page.route('http://localhost:29363/**', (route) => {
    received = new URL(route.request().url()).searchParams.get('access_code');
    return route.fulfill({ status: 200, contentType: 'text/html', body: '<p>Connector signed in</p>' });
  });

  await page.goto(`${BASE_URL}/authn/verify/sca/${challenge}`);
  await page.locator('main').getByRole('link', { name: 'Sign in' }).click();
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill('a brand new secret');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: /Allow .* to use your account/ }).waitFor();
  await screenshot(page, 'authorize-app');
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.getByText('Connector signed in').waitFor();
  assert.ok(received, 'the connector received an access code');

  const response = await fetch(`${BASE_URL}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appId: 'sca', appSecret: 'sca', accessCode: received, challenge }),
  });
  assert.equal(response.status, 200);
  const { token } = await response.json();
  const me = await fetch(`${BASE_URL}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ activeUser { email } }' }),
  });
  assert.equal((await me.json()).data.activeUser.email, email);
  await page.close();
});

test('a cross-site request cannot use the session cookie', async () => {
  const { page } = await openPage(browser);
  await submitSignIn(page, email, 'a brand new secret');
  await signedInAs(page, 'Ada Lovelace');
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'fleck_session');
  assert.ok(session.httpOnly, 'HttpOnly');
  assert.equal(session.sameSite, 'Lax');
  const forged = await fetch(`${BASE_URL}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: `fleck_session=${session.value}`, origin: 'https://evil.example' },
    body: JSON.stringify({ query: 'mutation { apiTokenCreate(token: { name: "x", scopes: ["streams:read"] }) }' }),
  });
  assert.equal(forged.status, 403);
  await page.close();
});

test('an invitation link opens the sign-up page for the invited address', async () => {
  const { page } = await openPage(browser);
  await submitSignIn(page, email, 'a brand new secret');
  await signedInAs(page, 'Ada Lovelace');

  // Ada, the server's first user and so its admin, invites a colleague from this site's page.
  const invitee = `grace-${Date.now()}@example.com`;
  const sent = await page.evaluate(async (to) => {
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation($input: ServerInviteCreateInput!) { serverInviteCreate(input: $input) }',
        variables: { input: { email: to, message: 'Come and see the model' } },
      }),
    });
    return response.json();
  }, invitee);
  assert.equal(sent.data?.serverInviteCreate, true, JSON.stringify(sent));

  const mail = await waitForMail(invitee, 'Ada Lovelace invited you to Fleck');
  const link = linkIn(mail, `${BASE_URL}/authn/register?token=`);
  const guest = await openPage(browser);
  await guest.page.goto(link);
  await guest.page.getByText(`Ada Lovelace invited you. Sign up with ${invitee}`).waitFor();
  await guest.page.getByLabel('Name').fill('Grace Hopper');
  assert.equal(await guest.page.getByLabel('E-mail address').inputValue(), invitee, 'the address is filled in');
  await guest.page.getByLabel('E-mail address').fill(invitee);
  await guest.page.getByLabel('Password').fill('compilers are fun');
  await screenshot(guest.page, 'invited-sign-up');
  await guest.page.getByRole('button', { name: 'Create account' }).click();
  await signedInAs(guest.page, 'Grace Hopper');
  // The invitation reached the address, so there is nothing left to verify.
  assert.equal(await guest.page.getByText(`Please verify ${invitee}`).count(), 0);
  await guest.page.close();
  await page.close();
});
