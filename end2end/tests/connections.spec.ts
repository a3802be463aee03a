import { expect, test, type Page } from '@playwright/test';

import { ALICE, BOB, WEBDAV, consoleErrors, signIn, snap } from './support';

test.beforeAll(() => {
  expect(WEBDAV.url, 'scripts/test.sh passes the WebDAV server in WEBDAV_URL').not.toBe('');
});

/** Opens the ownCloud credential dialog and returns it. */
async function openWebdavForm(page: Page) {
  const connect = page.getByRole('button', { name: 'Connect ownCloud / Nextcloud' });
  await connect.click();
  const dialog = page.getByRole('dialog', { name: 'Connect ownCloud / Nextcloud' });
  await expect(dialog).toBeVisible();
  return dialog;
}

async function fillWebdav(dialog: ReturnType<Page['getByRole']>, password: string, name: string) {
  await dialog.getByLabel('Server URL').fill(WEBDAV.url);
  await dialog.getByLabel('User name').fill(WEBDAV.username);
  await dialog.getByLabel('Password or app token').fill(password);
  await dialog.getByLabel('Name (optional)').fill(name);
}

function row(page: Page, name: string) {
  return page.getByTestId('connection-row').filter({ has: page.getByRole('heading', { name, exact: true }) });
}

test('a WebDAV connection is checked, tested, saved, renamed, tested again and deleted', async ({ page }) => {
  const errors = consoleErrors(page);
  await signIn(page, ALICE, '/connections');
  await expect(page.getByTestId('provider-card').filter({ hasText: 'ownCloud / Nextcloud' })).toBeVisible();
  await snap(page, 'connections-empty');

  // Escape closes the dialog and gives the focus back to the button that opened it.
  let dialog = await openWebdavForm(page);
  await expect(dialog.getByLabel('Server URL')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: 'Connect ownCloud / Nextcloud' })).toBeFocused();

  // Nothing typed: every required field says what it needs, and the first one has the focus.
  dialog = await openWebdavForm(page);
  await dialog.getByRole('button', { name: 'Save connection' }).click();
  await expect(dialog.getByText('Enter the server URL')).toBeVisible();
  await expect(dialog.getByText('Enter your user name')).toBeVisible();
  await expect(dialog.getByLabel('Server URL')).toHaveAttribute('aria-invalid', 'true');
  await expect(dialog.getByLabel('Server URL')).toBeFocused();
  await dialog.getByLabel('Server URL').fill('cloud.example.com');
  await expect(dialog.getByText('Enter a URL that starts with https://')).toBeVisible();
  await snap(page, 'webdav-form-errors');

  // Tab stays inside the dialog.
  await dialog.getByRole('button', { name: 'Save connection' }).focus();
  await page.keyboard.press('Tab');
  await expect(dialog.getByRole('button', { name: 'Close' })).toBeFocused();

  await fillWebdav(dialog, WEBDAV.password, 'Team files');
  await dialog.getByRole('button', { name: 'Test connection' }).click();
  await expect(dialog.getByTestId('test-result')).toContainText('Connection works');
  await snap(page, 'webdav-test-ok');

  await dialog.getByRole('button', { name: 'Save connection' }).click();
  await expect(dialog).toBeHidden();
  // The secrets left the page with the dialog.
  await expect(page.locator('input[type=password]')).toHaveCount(0);
  await expect(page.getByTestId('toasts')).toContainText('Connected “Team files”.');
  const saved = row(page, 'Team files');
  await expect(saved).toHaveAttribute('data-status', 'active');
  await expect(saved.getByTestId('connection-status')).toHaveText('Active');
  await expect(saved).toContainText('ownCloud / Nextcloud');
  await expect(saved).toContainText('Checked just now');
  await snap(page, 'connections-one');

  // Rename inline: Enter saves.
  await saved.getByRole('button', { name: 'Rename Team files' }).click();
  const nameInput = page.getByLabel('Connection name');
  await expect(nameInput).toBeFocused();
  await nameInput.fill('Alice on Nextcloud');
  await nameInput.press('Enter');
  const renamed = row(page, 'Alice on Nextcloud');
  await expect(renamed).toBeVisible();
  await expect(page.getByTestId('toasts')).toContainText('Renamed to “Alice on Nextcloud”.');

  // Test from the list.
  await renamed.getByRole('button', { name: /^Test / }).click();
  await expect(renamed.getByRole('status').filter({ hasText: 'Connection works' })).toBeVisible();

  // Delete asks first and says what goes.
  await renamed.getByRole('button', { name: /^Delete / }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete “Alice on Nextcloud”?' });
  await expect(confirm).toBeVisible();
  const impact = confirm.getByTestId('deletion-impact');
  await expect(impact).toContainText('0 sync configurations removed');
  await expect(impact).toContainText('0 indexed documents removed');
  await expect(impact).toContainText('Nothing is revoked at ownCloud / Nextcloud');
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await snap(page, 'delete-confirmation');
  await confirm.getByRole('button', { name: 'Delete connection' }).click();
  await expect(confirm).toBeHidden();
  await expect(renamed).toHaveCount(0);
  await expect(page.getByTestId('toasts')).toContainText('Deleted “Alice on Nextcloud”.');

  expect(errors).toEqual([]);
});

test('a wrong WebDAV password shows the error and saves nothing', async ({ page }) => {
  await signIn(page, ALICE, '/connections');
  const dialog = await openWebdavForm(page);
  await fillWebdav(dialog, 'wrong-password', 'Not to be saved');

  await dialog.getByRole('button', { name: 'Test connection' }).click();
  const result = dialog.getByTestId('test-result');
  await expect(result).toContainText('Connection failed');
  await snap(page, 'webdav-test-failed');

  await dialog.getByRole('button', { name: 'Save connection' }).click();
  await expect(dialog.getByRole('alert').filter({ hasText: 'Not saved' })).toBeVisible();
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();

  await page.reload();
  await expect(row(page, 'Not to be saved')).toHaveCount(0);
});

test("another user sees none of the first user's connections", async ({ browser }) => {
  const alice = await browser.newPage();
  await signIn(alice, ALICE, '/connections');
  const dialog = await openWebdavForm(alice);
  await fillWebdav(dialog, WEBDAV.password, 'Alice private files');
  await dialog.getByRole('button', { name: 'Save connection' }).click();
  await expect(row(alice, 'Alice private files')).toBeVisible();

  const bob = await browser.newPage();
  await signIn(bob, BOB, '/connections');
  await expect(bob.getByText('No connections yet')).toBeVisible();
  await expect(bob.getByText('Alice private files')).toHaveCount(0);

  // Clean up, through the UI.
  await row(alice, 'Alice private files').getByRole('button', { name: /^Delete / }).click();
  await alice.getByRole('button', { name: 'Delete connection' }).click();
  await expect(row(alice, 'Alice private files')).toHaveCount(0);
});

test('the OAuth round trip ends in a banner either way', async ({ page }) => {
  await signIn(page, ALICE, '/connections');
  await page.goto('/connections?oauth_error=the%20provider%20said%20access_denied');
  const banner = page.getByRole('alert').filter({ hasText: 'The connection was not made' });
  await expect(banner).toContainText('the provider said access_denied');
  await banner.getByRole('button', { name: 'Dismiss' }).click();
  await expect(page).toHaveURL(/\/connections$/);
  await expect(banner).toHaveCount(0);

  await page.goto('/connections?connected=unknown-id');
  await expect(page.getByRole('status').filter({ hasText: 'Your account is connected.' })).toBeVisible();
});

test('an OAuth provider without a configured client explains why it cannot connect', async ({ page }) => {
  await signIn(page, ALICE, '/connections');
  const card = page.getByTestId('provider-card').filter({ hasText: 'E-mail (IMAP)' });
  await expect(card.getByRole('button', { name: 'Sign in with OAuth' })).toBeDisabled();
  await expect(card).toContainText('OAuth is not set up on this server');
  await card.getByRole('button', { name: 'Use a password for E-mail (IMAP)' }).click();
  const dialog = page.getByRole('dialog', { name: 'Connect E-mail (IMAP)' });
  await expect(dialog.getByLabel('Port', { exact: true })).toHaveValue('993');
  await dialog.getByText('STARTTLS (port 143)').click();
  await expect(dialog.getByLabel('Port', { exact: true })).toHaveValue('143');
  await dialog.getByLabel('Port', { exact: true }).fill('70000');
  await dialog.getByRole('button', { name: 'Test connection' }).click();
  await expect(dialog.getByText('Enter a port between 1 and 65535')).toBeVisible();
  await snap(page, 'imap-form');
});
