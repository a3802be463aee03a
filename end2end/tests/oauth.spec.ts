import { expect, test, type Page } from '@playwright/test';

import { ALICE, consoleErrors, sandboxConsent, signIn, snap } from './support';

// The server runs in demo mode: OAuth providers point at the built-in sandbox, whose
// sign-in and consent pages stand in for Google's and Dropbox's. Each sandbox user name
// is its own account, so every test uses its own.

function rowOf(page: Page, provider: string) {
  return page.getByTestId('connection-row').filter({ hasText: provider });
}

// Main's catalogue lists only the providers whose adapters are registered (WebDAV and
// IMAP), so Google Drive and Dropbox have no card yet; the tests follow the link their
// "Connect" button points at (`authorize_url` in provider_card.rs), which is
// what a click on the card does once the adapters are registered.
const connectDrive = '/api/v1/cloud-sources/oauth/google_drive/authorize';
const connectDropbox = '/api/v1/cloud-sources/oauth/dropbox/authorize';

test('an OAuth connection is listed as active; a withdrawn grant turns it expired and Reconnect fixes it', async ({ page }) => {
  const errors = consoleErrors(page);
  await signIn(page, ALICE, '/connections');
  await expect(rowOf(page, 'Google Drive')).toHaveCount(0);

  await page.goto(connectDrive);
  await sandboxConsent(page, 'alice-drive', 'Allow');

  await expect(page).toHaveURL(/\/connections\?connected=/);
  await expect(page.getByRole('status').filter({ hasText: 'Connected' })).toContainText('is connected');
  const drive = rowOf(page, 'Google Drive');
  await expect(drive).toHaveCount(1);
  await expect(drive).toHaveAttribute('data-status', 'active');
  await expect(drive.getByTestId('connection-status')).toHaveText('Active');
  await expect(drive.getByRole('link', { name: 'Reconnect' })).toHaveCount(0);
  await snap(page, 'oauth-connected');

  // The provider withdraws the grant (as when the user removes the app from their
  // Google account); the next token refresh finds out.
  const revoked = await page.request.post('/sandbox/_control/accounts/google/alice-drive/revoke-tokens');
  expect(revoked.status()).toBe(200);
  const id = await drive.getAttribute('data-connection-id');
  const origin = new URL(page.url()).origin;
  const refresh = await page.request.post('/api/v1/cloud-sources/oauth/google_drive/refresh', {
    headers: { Origin: origin },
    data: { connection_id: id },
  });
  expect(refresh.status()).toBeGreaterThanOrEqual(400);

  await page.goto('/connections');
  await expect(drive).toHaveAttribute('data-status', 'expired');
  await expect(drive.getByTestId('connection-status')).toHaveText('Expired');
  const reconnect = drive.getByRole('link', { name: 'Reconnect' });
  await expect(reconnect).toBeVisible();
  await snap(page, 'oauth-expired');

  await reconnect.click();
  await sandboxConsent(page, 'alice-drive', 'Allow');
  await expect(page).toHaveURL(/\/connections\?connected=/);
  // The same connection, active again: reconnecting does not add a second one.
  await expect(rowOf(page, 'Google Drive')).toHaveCount(1);
  await expect(rowOf(page, 'Google Drive')).toHaveAttribute('data-connection-id', id!);
  await expect(rowOf(page, 'Google Drive')).toHaveAttribute('data-status', 'active');
  await expect(rowOf(page, 'Google Drive').getByRole('link', { name: 'Reconnect' })).toHaveCount(0);

  // Delete asks first and says the grant is revoked at the provider.
  await rowOf(page, 'Google Drive').getByRole('button', { name: /^Delete / }).click();
  const confirm = page.getByRole('dialog', { name: /^Delete “/ });
  await expect(confirm.getByTestId('deletion-impact')).toContainText('Google Drive');
  await snap(page, 'oauth-delete-confirmation');
  await confirm.getByRole('button', { name: 'Delete connection' }).click();
  await expect(confirm).toBeHidden();
  await expect(rowOf(page, 'Google Drive')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('denying consent at the provider says so and stores nothing', async ({ page }) => {
  await signIn(page, ALICE, '/connections');
  await page.goto(connectDropbox);
  await sandboxConsent(page, 'alice-dropbox', 'Deny');

  await expect(page).toHaveURL(/\/connections\?oauth_error=/);
  const banner = page.getByRole('alert').filter({ hasText: 'The connection was not made' });
  await expect(banner).toContainText('you declined access to Dropbox; nothing was saved');
  await snap(page, 'oauth-denied');
  await expect(rowOf(page, 'Dropbox')).toHaveCount(0);
  await page.reload();
  await expect(rowOf(page, 'Dropbox')).toHaveCount(0);
});
