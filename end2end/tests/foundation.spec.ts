import { expect, test } from '@playwright/test';

test('the dashboard hydrates and a button calls a server function', async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });

  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await expect(page.locator('#app')).toHaveAttribute('data-hydrated', 'true');

  await page.getByRole('button', { name: 'Check server' }).click();
  await expect(page.getByTestId('server-status')).toContainText(/Server \d+\.\d+\.\d+ is up/);

  expect(consoleErrors).toEqual([]);
});
