import { expect, test, type Page } from '@playwright/test';

import { ALICE, BOB, WEBDAV, consoleErrors, createWebdavConnection, hydrated, signIn, snap } from './support';

test.beforeAll(() => {
  expect(WEBDAV.url, 'scripts/test.sh passes the WebDAV server in WEBDAV_URL').not.toBe('');
});

/**
 * Console errors other than the browser's own note on the deliberate 400 answers
 * (the bad cron expression, the bad profile key): those answers are the point
 * of the test and are asserted as inline errors.
 */
function unexpected(errors: string[]) {
  return errors.filter((e) => !e.includes('status of 400 (Bad Request)'));
}

function card(page: Page, name: string) {
  return page.locator(`[data-testid="sync-card"][data-name="${name}"]`);
}

test('a sync is configured in the picker, previewed, run live, and its log, history and documents shown', async ({
  page,
  browser,
}) => {
  test.setTimeout(120_000);
  const errors = consoleErrors(page);
  const stamp = Date.now();
  const connectionName = `Sync files ${stamp}`;
  const name = `Team notes ${stamp}`;
  await signIn(page, ALICE, '/');
  await createWebdavConnection(page, connectionName);

  await page.goto('/syncs/new');
  await hydrated(page);
  await page.getByLabel('Connection').selectOption({ label: `${connectionName} · ownCloud / Nextcloud` });

  // The tree loads lazily: Alpha appears only once Projects is expanded.
  const picker = page.getByTestId('folder-picker');
  const folder = (name: string) => picker.getByRole('treeitem', { name, exact: true });
  await expect(folder('Projects')).toBeVisible();
  await expect(folder('Alpha')).toHaveCount(0);
  await picker.getByRole('button', { name: 'Expand Projects' }).click();
  await expect(folder('Alpha')).toBeVisible();
  // The filter keeps a folder whose loaded child matches and hides the others.
  await page.getByLabel('Filter folders').fill('alp');
  await expect(folder('Notes')).toHaveCount(0);
  await expect(folder('Alpha')).toBeVisible();
  await page.getByLabel('Filter folders').fill('');
  // Selection works from the keyboard and with the mouse.
  await folder('Projects').focus();
  await page.keyboard.press('Space');
  await expect(folder('Projects')).toHaveAttribute('aria-checked', 'true');
  await picker.getByText('Notes', { exact: true }).click();
  await expect(folder('Notes')).toHaveAttribute('aria-checked', 'true');
  await expect(page.getByTestId('selected-folders')).toContainText('2 folders selected');

  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('RAG profile key').fill('team-notes');

  // A bad cron expression is explained next to the field; a good one shows the next three runs.
  await page.getByLabel('Runs').selectOption('cron');
  await page.getByLabel('Cron expression').fill('61 * * * *');
  await expect(page.locator('#sync-cron-error')).toContainText('not valid');
  await expect(page.getByLabel('Cron expression')).toHaveAttribute('aria-invalid', 'true');
  await page.getByLabel('Cron expression').fill('0 6 * * 1-5');
  await expect(page.locator('#sync-cron-error')).toHaveCount(0);
  await expect(page.getByTestId('next-run')).toHaveCount(3);
  await expect(page.getByTestId('next-run').first()).toContainText('06:00 UTC');
  await page.getByLabel('Runs').selectOption('manual');
  await expect(page.getByTestId('next-runs')).toContainText('runs when you press Run');

  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByTestId('preview-summary')).toContainText('2 files to sync');
  await snap(page, 'sync-form-preview');

  await page.getByRole('button', { name: 'Create configuration' }).click();
  await page.waitForURL((url) => url.pathname === '/syncs');
  const sync = card(page, name);
  await expect(sync).toBeVisible();
  await expect(sync.getByTestId('config-status')).toHaveAttribute('data-status', 'active');

  // Run it and watch the card reach "completed" without a reload.
  await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same page'));
  await sync.getByRole('button', { name: 'Run now' }).click();
  await expect(sync.getByTestId('job-status')).toHaveAttribute('data-status', 'completed', { timeout: 60_000 });
  await expect(sync.getByTestId('progress-counts')).toContainText('2 processed · 0 skipped · 0 failed');
  await expect(sync.getByTestId('doc-count')).toHaveText('2');
  expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same page');
  await snap(page, 'sync-card-completed');

  // Pause and resume are reflected on the card and kept by the server.
  await sync.getByRole('button', { name: 'Pause' }).click();
  await expect(sync.getByTestId('config-status')).toHaveAttribute('data-status', 'paused');
  await expect(sync.getByRole('button', { name: 'Run now' })).toBeDisabled();
  await page.reload();
  await hydrated(page);
  await expect(card(page, name).getByTestId('config-status')).toHaveAttribute('data-status', 'paused');
  await card(page, name).getByRole('button', { name: 'Resume' }).click();
  await expect(card(page, name).getByTestId('config-status')).toHaveAttribute('data-status', 'active');
  await expect(card(page, name).getByRole('button', { name: 'Run now' })).toBeEnabled();

  // The job detail has the counts and the log.
  await card(page, name).getByRole('link', { name: 'Job details' }).click();
  await page.waitForURL((url) => url.pathname.startsWith('/jobs/'));
  await expect(page.getByTestId('stat-processed')).toHaveText('2');
  await expect(page.getByTestId('stat-failed')).toHaveText('0');
  await expect(page.getByTestId('log-line').first()).toBeVisible();
  await expect(page.getByTestId('no-errors')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Cancel run' })).toHaveCount(0);
  await snap(page, 'job-detail');

  // History lists the run.
  await page.getByRole('link', { name: 'History' }).click();
  await page.waitForURL((url) => /^\/syncs\/[^/]+$/.test(url.pathname));
  const configPath = new URL(page.url()).pathname;
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
  await expect(page.getByTestId('history-row')).toHaveCount(1);
  await expect(page.getByTestId('history-row').getByTestId('job-status')).toHaveAttribute('data-status', 'completed');

  // The documents page lists both files under this configuration.
  await page.goto('/documents');
  await hydrated(page);
  await page.getByLabel('Configuration').selectOption({ label: name });
  await expect(page).toHaveURL(/config=/);
  await expect(page.getByTestId('document-row')).toHaveCount(2);
  await expect(page.getByTestId('documents-table')).toContainText('README.md');
  await expect(page.getByTestId('documents-table')).toContainText('2026-11-27.txt');
  await page.getByLabel('Search').fill('readme');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page.getByTestId('document-row')).toHaveCount(1);
  await snap(page, 'documents');

  // The dashboard shows the configuration in its source card.
  await page.goto('/');
  await hydrated(page);
  await expect(page.getByTestId('source-config').filter({ hasText: name })).toContainText('2 docs');

  // Another user sees none of it.
  const other = await browser.newContext();
  const bob = await other.newPage();
  await signIn(bob, BOB, '/syncs');
  await expect(card(bob, name)).toHaveCount(0);
  await bob.goto(configPath);
  await expect(bob.getByText('No such configuration')).toBeVisible();
  await other.close();

  expect(unexpected(errors)).toEqual([]);
});

test('server validation errors show on the field they are about', async ({ page }) => {
  const errors = consoleErrors(page);
  const stamp = Date.now();
  await signIn(page, ALICE, '/');
  const connection = await createWebdavConnection(page, `Validation files ${stamp}`);
  await page.goto(`/syncs/new?connection=${connection}`);
  await hydrated(page);

  // What the browser checks, it reports at once without asking the server.
  await page.getByRole('button', { name: 'Create configuration' }).click();
  await expect(page.locator('#folders-error')).toContainText('Select at least one folder');
  await expect(page.locator('#sync-name-error')).toContainText('Give the configuration a name');

  await page.getByTestId('folder-picker').getByText('Notes', { exact: true }).click();
  await page.getByLabel('Name', { exact: true }).fill(`Bad key ${stamp}`);
  await page.getByLabel('RAG profile key').fill('not a key!');
  await page.getByRole('button', { name: 'Create configuration' }).click();
  await expect(page.locator('#sync-profile-error')).toContainText('profile_key');
  await expect(page.getByLabel('RAG profile key')).toHaveAttribute('aria-invalid', 'true');
  await expect(page).toHaveURL(/\/syncs\/new/);
  // Nothing was saved.
  await page.goto('/syncs');
  await hydrated(page);
  await expect(card(page, `Bad key ${stamp}`)).toHaveCount(0);
  expect(unexpected(errors)).toEqual([]);
});
