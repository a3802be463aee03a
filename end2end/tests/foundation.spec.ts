import { expect, test } from '@playwright/test';

import { ALICE, consoleErrors, signIn } from './support';

test('the dashboard hydrates and a button calls a server function', async ({ page }) => {
  const errors = consoleErrors(page);
  await signIn(page, ALICE, '/');
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();

  await page.getByRole('button', { name: 'Check server' }).click();
  await expect(page.getByTestId('server-status')).toContainText(/Server \d+\.\d+\.\d+ is up/);

  expect(errors).toEqual([]);
});
