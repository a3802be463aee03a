import { expect, test, type Page } from '@playwright/test';

import {
  BOB,
  CAROL,
  consoleErrors,
  createWebdavConnection,
  hydrated,
  sidewaysOverflow,
  sandboxConsent,
  signIn,
  snap,
} from './support';

// The flow issue 8 checks, against the sandbox's Google Drive (server/src/sandbox/seed.rs):
// My Drive holds /Projects/Hermes (README.md, Roadmap.txt, Launch Deck.pptx) and
// /Personal (todo.txt, Recipes/Pancakes.md), among others.
const HERMES_FILES = ['README.md', 'Roadmap.txt', 'Launch Deck.pptx'];
const PERSONAL_FILES = ['todo.txt', 'Pancakes.md'];

function card(page: Page, name: string) {
  return page.locator(`[data-testid="sync-card"][data-name="${name}"]`);
}

/** Console errors other than the browser's note on deliberate 404 answers. */
function unexpected(errors: string[]) {
  return errors.filter((e) => !e.includes('status of 404 (Not Found)'));
}

test('Google Drive: connect, pick two folders, preview, save, run live, then history, documents and a document', async ({
  page,
  browser,
}) => {
  test.setTimeout(150_000);
  const errors = consoleErrors(page);
  const stamp = Date.now();
  const name = `Drive notes ${stamp}`;
  await signIn(page, CAROL, '/connections');

  // Connect Google Drive through the sandbox's consent page.
  await page.goto('/api/v1/cloud-sources/oauth/google_drive/authorize');
  await sandboxConsent(page, `carol-drive-${stamp}`, 'Allow');
  await expect(page).toHaveURL(/\/connections\?connected=/);
  await expect(page.getByTestId('connection-row').filter({ hasText: 'Google Drive' })).toHaveAttribute(
    'data-status',
    'active',
  );

  await page.goto('/syncs/new');
  await hydrated(page);
  const option = page.getByLabel('Connection').locator('option', { hasText: 'Google Drive' });
  await page.getByLabel('Connection').selectOption((await option.getAttribute('value'))!);

  // Pick /My Drive/Projects/Hermes and /My Drive/Personal in the lazily loaded tree.
  const picker = page.getByTestId('folder-picker');
  const folder = (n: string) => picker.getByRole('treeitem', { name: n, exact: true });
  await expect(folder('My Drive')).toBeVisible();
  await expect(folder('Engineering')).toBeVisible();
  await picker.getByRole('button', { name: 'Expand My Drive' }).click();
  await expect(folder('My Drive')).toHaveAttribute('aria-expanded', 'true');
  await picker.getByRole('button', { name: 'Expand Projects' }).click();
  await expect(folder('Apollo')).toBeVisible();
  await picker.getByText('Hermes', { exact: true }).click();
  await picker.getByText('Personal', { exact: true }).click();
  await expect(folder('Hermes')).toHaveAttribute('aria-checked', 'true');
  await expect(folder('Personal')).toHaveAttribute('aria-checked', 'true');
  await expect(folder('Apollo')).toHaveAttribute('aria-checked', 'false');
  const selection = page.getByTestId('selected-folders');
  await expect(selection).toContainText('2 folders selected');
  await expect(selection).toContainText('/My Drive/Projects/Hermes');
  await expect(selection).toContainText('/My Drive/Personal');

  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('RAG profile key').fill('drive-notes');
  await page.getByRole('button', { name: 'Preview' }).click();
  const total = HERMES_FILES.length + PERSONAL_FILES.length;
  await expect(page.getByTestId('preview-summary')).toContainText(`${total} files to sync`);
  await snap(page, 'drive-sync-preview');

  await page.getByRole('button', { name: 'Create configuration' }).click();
  await page.waitForURL((url) => url.pathname === '/syncs');
  const sync = card(page, name);
  await expect(sync).toBeVisible();

  // Run: the card follows the job over the event stream to "completed", without a reload.
  await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same page'));
  await sync.getByRole('button', { name: 'Run now' }).click();
  await expect(sync.getByTestId('job-status')).toHaveAttribute('data-status', 'completed', { timeout: 90_000 });
  await expect(sync.getByTestId('progress-counts')).toContainText(`${total} processed · 0 skipped · 0 failed`);
  await expect(sync.getByTestId('doc-count')).toHaveText(String(total));
  expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same page');
  await snap(page, 'drive-sync-completed');

  // History shows the run.
  await sync.getByRole('link', { name: 'History' }).click();
  await page.waitForURL((url) => /^\/syncs\/[^/]+$/.test(url.pathname));
  await expect(page.getByTestId('history-row')).toHaveCount(1);
  await expect(page.getByTestId('history-row').getByTestId('job-status')).toHaveAttribute('data-status', 'completed');

  // The documents page lists exactly the files of the two folders.
  await page.goto('/documents');
  await hydrated(page);
  await page.getByLabel('Configuration').selectOption({ label: name });
  await expect(page).toHaveURL(/config=/);
  const table = page.getByTestId('documents-table');
  await expect(page.getByTestId('document-row')).toHaveCount(total);
  for (const file of [...HERMES_FILES, ...PERSONAL_FILES]) {
    await expect(table.getByRole('link', { name: file, exact: true })).toBeVisible();
  }
  await expect(table).not.toContainText('Q1 Report.pdf');
  await snap(page, 'drive-documents');

  // One document: its extracted text and chunks.
  await table.getByRole('link', { name: 'Roadmap.txt', exact: true }).click();
  await page.waitForURL((url) => url.pathname.startsWith('/documents/'));
  const documentPath = new URL(page.url()).pathname;
  await expect(page.getByRole('heading', { name: 'Roadmap.txt', level: 1 })).toBeVisible();
  await expect(page.getByText('/My Drive/Projects/Hermes/Roadmap.txt')).toBeVisible();
  await expect(page.getByTestId('document-text')).toContainText('Q2: digest e-mails for low-priority notifications');
  await expect(page.getByTestId('chunk').first()).toContainText('Hermes roadmap');
  await expect(page.getByTestId('stat-chunks')).toHaveText(String(await page.getByTestId('chunk').count()));
  await snap(page, 'document-detail');

  // Nobody else can read it.
  const other = await browser.newContext();
  const bob = await other.newPage();
  await signIn(bob, BOB, '/documents');
  await expect(bob.getByRole('heading', { name: 'Documents', level: 1 })).toBeVisible();
  await expect(bob.getByText('Roadmap.txt')).toHaveCount(0);
  await bob.goto(documentPath);
  await expect(bob.getByText('No such document')).toBeVisible();
  await expect(bob.getByText('Q2: digest e-mails')).toHaveCount(0);
  await other.close();

  expect(unexpected(errors)).toEqual([]);
});

test('the folder picker is a keyboard-operable tree whose breadcrumbs follow the folder entered', async ({ page }) => {
  const errors = consoleErrors(page);
  const stamp = Date.now();
  await signIn(page, CAROL, '/');
  const connection = await createWebdavConnection(page, `Keyboard files ${stamp}`);
  await page.goto(`/syncs/new?connection=${connection}`);
  await hydrated(page);

  // The WebDAV tree (scripts/test.sh): /Projects/Alpha and /Notes.
  const picker = page.getByTestId('folder-picker');
  const tree = picker.getByRole('tree', { name: 'Folders' });
  const folder = (n: string) => tree.getByRole('treeitem', { name: n, exact: true });
  await expect(folder('Projects')).toBeVisible();
  const top = await tree.getByRole('treeitem').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')));
  expect(top.sort()).toEqual(['Notes', 'Projects']);
  const [first, last] = await tree.getByRole('treeitem').evaluateAll((rows) =>
    [rows[0], rows[rows.length - 1]].map((r) => r.getAttribute('data-name')!),
  );
  await expect(tree).toHaveAttribute('aria-multiselectable', 'true');

  // One tab stop: Tab from the filter lands on the first row.
  await expect(tree.locator('[role="treeitem"][tabindex="0"]')).toHaveCount(1);
  await page.getByLabel('Filter folders').focus();
  await page.keyboard.press('Tab');
  await expect(folder(first)).toBeFocused();
  await page.keyboard.press('End');
  await expect(folder(last)).toBeFocused();
  await page.keyboard.press('Home');
  await expect(folder(first)).toBeFocused();
  if (first !== 'Projects') await page.keyboard.press('ArrowDown');
  await expect(folder('Projects')).toBeFocused();
  await expect(folder('Projects')).toHaveAttribute('tabindex', '0');
  await expect(folder('Notes')).toHaveAttribute('tabindex', '-1');

  // Right expands (children load lazily), Right again moves into the group.
  await expect(folder('Projects')).toHaveAttribute('aria-expanded', 'false');
  await page.keyboard.press('ArrowRight');
  await expect(folder('Projects')).toHaveAttribute('aria-expanded', 'true');
  await expect(folder('Projects').getByRole('group').getByRole('treeitem', { name: 'Alpha' })).toBeVisible();
  await page.keyboard.press('ArrowRight');
  await expect(folder('Alpha')).toBeFocused();
  // Space toggles the selection of the focused row.
  await page.keyboard.press('Space');
  await expect(folder('Alpha')).toHaveAttribute('aria-checked', 'true');
  await expect(page.getByTestId('selected-folders')).toContainText('1 folder selected');
  await expect(page.getByTestId('selected-folders')).toContainText('/Projects/Alpha');
  // Left goes to the parent, Left again collapses it.
  await page.keyboard.press('ArrowLeft');
  await expect(folder('Projects')).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await expect(folder('Projects')).toHaveAttribute('aria-expanded', 'false');
  await expect(folder('Alpha')).toHaveCount(0);
  await expect(folder('Projects')).toBeFocused();
  await snap(page, 'picker-keyboard');

  // Enter opens the folder: the breadcrumbs show the path, and each crumb leads back.
  const crumbs = picker.getByRole('navigation', { name: 'Folder path' });
  await page.keyboard.press('Enter');
  await expect(crumbs.getByRole('button', { name: 'Projects' })).toHaveAttribute('aria-current', 'location');
  await expect(folder('Alpha')).toBeVisible();
  await expect(folder('Notes')).toHaveCount(0);
  await picker.getByRole('button', { name: 'Open Alpha' }).click();
  await expect(crumbs.getByRole('button')).toHaveText(['All folders', 'Projects', 'Alpha']);
  await expect(picker.getByTestId('folder-empty')).toHaveText('No subfolders.');
  await snap(page, 'picker-breadcrumbs');
  await crumbs.getByRole('button', { name: 'Projects' }).click();
  await expect(crumbs.getByRole('button')).toHaveText(['All folders', 'Projects']);
  await expect(folder('Alpha')).toHaveAttribute('aria-checked', 'true');
  // Left on a top row of an entered folder goes up one crumb.
  await folder('Alpha').focus();
  await page.keyboard.press('ArrowLeft');
  await expect(crumbs.getByRole('button')).toHaveText(['All folders']);
  await expect(folder('Notes')).toBeVisible();
  expect(errors).toEqual([]);
});

test.describe('at phone width', () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test('the sync pages fit the screen and the navigation reaches them', async ({ page }) => {
    const errors = consoleErrors(page);
    const stamp = Date.now();
    await signIn(page, CAROL, '/');
    const connection = await createWebdavConnection(page, `Phone files ${stamp}`);

    // The navigation is behind the menu button and leads to the syncs page.
    await page.getByRole('button', { name: 'Open menu' }).click();
    await page.getByRole('navigation', { name: 'Main (mobile)' }).getByRole('link', { name: 'Sync configurations' }).click();
    await expect(page).toHaveURL(/\/syncs$/);
    await expect(page.getByRole('heading', { name: 'Sync configurations', level: 1 })).toBeVisible();
    expect(await sidewaysOverflow(page)).toEqual([]);
    await snap(page, 'phone-syncs');

    await page.goto(`/syncs/new?connection=${connection}`);
    await hydrated(page);
    await expect(page.getByTestId('folder-picker').getByRole('treeitem', { name: 'Projects' })).toBeVisible();
    await page.getByTestId('folder-picker').getByRole('button', { name: 'Expand Projects' }).click();
    await page.getByTestId('folder-picker').getByText('Alpha', { exact: true }).click();
    await expect(page.getByTestId('selected-folders')).toContainText('1 folder selected');
    expect(await sidewaysOverflow(page)).toEqual([]);
    await snap(page, 'phone-sync-form');

    for (const path of ['/', '/documents', '/connections']) {
      await page.goto(path);
      await hydrated(page);
      expect(await sidewaysOverflow(page), path).toEqual([]);
    }
    await snap(page, 'phone-documents');
    expect(errors).toEqual([]);
  });
});
