import { expect, test } from '@playwright/test';

import { ALICE, signIn, snap } from './support';

test.describe('at phone width', () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test('the menu button opens the navigation and following a link closes it', async ({ page }) => {
    await signIn(page, ALICE, '/');
    const desktopNav = page.getByRole('navigation', { name: 'Main', exact: true });
    await expect(desktopNav).toBeHidden();

    const menuButton = page.getByRole('button', { name: 'Open menu' });
    await expect(menuButton).toHaveAttribute('aria-expanded', 'false');
    await menuButton.click();
    const mobileNav = page.getByRole('navigation', { name: 'Main (mobile)' });
    await expect(mobileNav).toBeVisible();
    await expect(page.getByRole('button', { name: 'Close menu' })).toHaveAttribute('aria-expanded', 'true');
    await snap(page, 'phone-menu');

    await mobileNav.getByRole('link', { name: 'Connections' }).click();
    await expect(page).toHaveURL(/\/connections$/);
    await expect(page.getByRole('heading', { name: 'Connections', level: 1 })).toBeVisible();
    await expect(mobileNav).toBeHidden();
    await snap(page, 'phone-connections');
  });
});

test('the navigation marks the current page', async ({ page }) => {
  await signIn(page, ALICE, '/connections');
  const nav = page.getByRole('navigation', { name: 'Main', exact: true });
  await expect(nav.getByRole('link', { name: 'Connections' })).toHaveAttribute('aria-current', 'page');
  await expect(nav.getByRole('link', { name: 'Dashboard' })).not.toHaveAttribute('aria-current', 'page');
  await nav.getByRole('link', { name: 'Sync configurations' }).click();
  await expect(page).toHaveURL(/\/syncs$/);
  await expect(nav.getByRole('link', { name: 'Sync configurations' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByTestId('server-info')).toContainText(/Cloud Sources \d+\.\d+\.\d+/);
});
