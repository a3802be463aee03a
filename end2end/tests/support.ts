import { expect, type Page } from '@playwright/test';

// Accounts created by scripts/test.sh with `cloud-sources user add … --password-stdin`
// before the server starts.
export const ALICE = { username: 'alice', password: process.env.E2E_ALICE_PASSWORD ?? 'alice-e2e-password' };
export const BOB = { username: 'bob', password: process.env.E2E_BOB_PASSWORD ?? 'bob-e2e-password' };
// Carol connects Google Drive (alice's connections are counted by oauth.spec.ts).
export const CAROL = { username: 'carol', password: process.env.E2E_CAROL_PASSWORD ?? 'carol-e2e-password' };

// A real WebDAV server (wsgidav) started by scripts/test.sh: alice / secret.
export const WEBDAV = {
  url: process.env.WEBDAV_URL ?? '',
  username: 'alice',
  password: 'secret',
};

/** Waits until the WASM bundle has taken over the page. */
export async function hydrated(page: Page) {
  await expect(page.locator('#app')).toHaveAttribute('data-hydrated', 'true');
}

/** Signs in through the form and waits for the page it leads to. */
export async function signIn(page: Page, user: { username: string; password: string }, next = '/') {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('User name').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === next.split('?')[0]);
  await hydrated(page);
}

/** Saves a screenshot when SCREENSHOT_DIR is set (for looking at the screens by eye). */
export async function snap(page: Page, name: string) {
  const dir = process.env.SCREENSHOT_DIR;
  if (dir) await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
}

/** Collects console errors, to assert a page ran cleanly. */
export function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/**
 * Signs in at the sandbox's authorization server (demo mode's stand-in for Google's
 * and Dropbox's) and answers its consent page. Each sandbox user name is its own account.
 */
export async function sandboxConsent(page: Page, username: string, decision: 'Allow' | 'Deny') {
  await expect(page.getByText('Sandbox', { exact: true })).toBeVisible();
  if (await page.getByLabel('Username').isVisible()) {
    await page.getByLabel('Username').fill(username);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await expect(page.getByRole('heading', { name: /wants to access your/ })).toBeVisible();
  await page.getByRole('button', { name: decision }).click();
}

/**
 * Creates a connection to the test WebDAV server through the same server function
 * the credential form calls (the form itself is covered by connections.spec.ts).
 */
export async function createWebdavConnection(page: Page, name: string): Promise<string> {
  const origin = new URL(page.url()).origin;
  const response = await page.request.post('/_fn/create_connection', {
    headers: { Origin: origin },
    data: {
      input: {
        provider: 'owncloud',
        display_name: name,
        auth_type: 'password',
        credentials: { server_url: WEBDAV.url, username: WEBDAV.username, password: WEBDAV.password },
      },
    },
  });
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()).id;
}

/**
 * What makes the page scroll sideways: the innermost elements that reach past the
 * viewport's right edge (tag, id, classes and width), or [] when the page fits.
 * An element a scrolling box clips (overflow-x auto or hidden) does not count; an
 * absolutely positioned one escapes a box that is not positioned, and counts.
 */
export async function sidewaysOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const root = document.documentElement;
    if (root.scrollWidth <= root.clientWidth) return [];
    const pastEdge = (e: Element) => e.getBoundingClientRect().right > root.clientWidth + 0.5;
    const clipped = (e: Element) => {
      let absolute = getComputedStyle(e).position === 'absolute';
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
        const style = getComputedStyle(a);
        if (style.overflowX !== 'visible' && (!absolute || style.position !== 'static')) return true;
        if (style.position !== 'static') absolute = style.position === 'absolute';
      }
      return false;
    };
    const found = [...document.body.querySelectorAll('*')]
      .filter((e) => pastEdge(e) && ![...e.children].some(pastEdge) && !clipped(e))
      .map((e) => {
        const width = Math.round(e.getBoundingClientRect().width);
        return `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${[...e.classList].join('.')} (${width} px)`;
      });
    return found.length ? found : ['(no single element: the page is wider than the viewport)'];
  });
}
