import { expect, test } from '@playwright/test';

import { BOB, hydrated, signIn, snap } from './support';

test('an API token is shown once, listed by its prefix and revoked after confirmation', async ({ page }) => {
  await signIn(page, BOB, '/settings');
  await expect(page.getByRole('heading', { name: 'Personal API tokens' })).toBeVisible();
  await expect(page.getByText('No API tokens')).toBeVisible();

  // A name is required.
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByText('Name the token after what will use it')).toBeVisible();

  await page.getByLabel('New token name').fill('nightly export');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = page.getByTestId('new-token');
  await expect(secret).toHaveValue(/^\S{20,}$/);
  const token = await secret.inputValue();
  await expect(page.getByText('It is shown only this once')).toBeVisible();
  await snap(page, 'settings-new-token');

  const tokenRow = page.getByTestId('token-row').filter({ hasText: 'nightly export' });
  await expect(tokenRow).toBeVisible();
  const prefix = (await tokenRow.locator('code').innerText()).replace('…', '');
  expect(token.startsWith(prefix)).toBe(true);
  await expect(tokenRow).toContainText('Never');

  // The token works on the REST API.
  const me = await page.request.get('/api/v1/cloud-sources/me', {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(me.status()).toBe(200);
  expect((await me.json()).username).toBe(BOB.username);

  // Gone from the page after "hide" and after a reload.
  await page.getByRole('button', { name: 'I have stored it, hide it' }).click();
  await expect(secret).toHaveCount(0);
  await page.reload();
  // The Revoke button does nothing until the reloaded page has hydrated.
  await hydrated(page);
  await expect(page.getByText(token)).toHaveCount(0);

  await tokenRow.getByRole('button', { name: 'Revoke nightly export' }).click();
  const confirm = page.getByRole('dialog', { name: 'Revoke “nightly export”?' });
  await expect(confirm).toContainText('Scripts using this token stop working at once.');
  await confirm.getByRole('button', { name: 'Revoke token' }).click();
  await expect(confirm).toBeHidden();
  await expect(tokenRow).toHaveCount(0);
  await expect(page.getByText('No API tokens')).toBeVisible();

  const after = await page.request.get('/api/v1/cloud-sources/me', {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(after.status()).toBe(401);
});
