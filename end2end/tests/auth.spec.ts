import { expect, test } from '@playwright/test';

import { ALICE, BOB, consoleErrors, hydrated, signIn, snap } from './support';

test('a page asked for before signing in opens after signing in', async ({ page }) => {
  const errors = consoleErrors(page);
  await page.goto('/connections');
  await expect(page).toHaveURL(/\/login\?next=%2Fconnections$/);
  await expect(page.getByRole('heading', { name: 'Sign in to Cloud Sources' })).toBeVisible();
  await snap(page, 'login');

  await page.getByLabel('User name').fill(ALICE.username);
  await page.getByLabel('Password').fill(ALICE.password);
  await page.getByRole('button', { name: 'Sign in' }).click();

  await expect(page).toHaveURL(/\/connections$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Connections', level: 1 })).toBeVisible();
  await expect(page.getByTestId('signed-in-user').first()).toContainText('alice');
  expect(errors).toEqual([]);
});

test('a wrong password says so and keeps the user name', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('User name').fill(BOB.username);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();

  await expect(page).toHaveURL(/error=invalid/);
  await expect(page.getByRole('alert')).toContainText('Wrong user name or password');
  await expect(page.getByLabel('User name')).toHaveValue(BOB.username);
  // The password field has the focus, ready for a second try.
  await expect(page.getByLabel('Password')).toBeFocused();
  await snap(page, 'login-wrong-password');
});

test('repeated failures lock the account for a while and say how long', async ({ page }) => {
  // A user that does not exist: the limiter counts failures by name all the same.
  for (let attempt = 0; attempt < 6; attempt++) {
    await page.goto('/login');
    await page.getByLabel('User name').fill('mallory');
    await page.getByLabel('Password').fill(`guess-${attempt}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/error=/);
  }
  await expect(page).toHaveURL(/error=locked&retry=\d+/);
  await expect(page.getByRole('alert')).toContainText('Too many attempts');
  await expect(page.getByRole('alert')).toContainText(/Try again in \d+ minutes|Try again in a minute/);
});

test('the demo account is shown in demo mode and can be filled in', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  const hint = page.getByTestId('demo-hint');
  await expect(hint).toContainText('demo');
  await expect(hint).toContainText('demo-password');
  await hint.getByRole('button', { name: 'Fill in the demo account' }).click();
  await expect(page.getByLabel('User name')).toHaveValue('demo');
  await expect(page.getByLabel('Password')).toHaveValue('demo-password');
});

test('signing out ends the session and says so', async ({ page }) => {
  await signIn(page, ALICE, '/settings');
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await expect(page).toHaveURL(/\/login\?signed_out=1$/);
  await expect(page.getByRole('status').filter({ hasText: 'You have been signed out.' })).toBeVisible();
  await page.goto('/settings');
  await expect(page).toHaveURL(/\/login\?next=%2Fsettings$/);
});
