/**
 * What the integration suites want from a lab server by default, in one
 * place; everything else (the starter, the terminal client, Docker cleanup)
 * they import from tests/support directly.
 *
 * - A two-page stand-in site (LAB_SITE_DIR), so they do not depend on a site
 *   build; it is made per server and removed once that server exits.
 * - No warm pool (LAB_WARM_POOL=0): a test's sandbox is the one it asked for.
 * - LAB_SESSION_BURST=1000: tests open many sessions from one address in a
 *   few seconds.
 * - Ready once /healthz answers at all (200 or 503): several suites start a
 *   server broken on purpose (no image, no runtime).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { newInstance, startLabServer, type LabServer } from '../support/lab-server.ts';

/** Starts a server with the integration defaults under `env`; LAB_INSTANCE is `it-<hex>` unless given. */
export async function startTestServer(env: Record<string, string> = {}, instance = newInstance('it')): Promise<LabServer> {
  const site = env.LAB_SITE_DIR ? undefined : mkdtempSync(path.join(tmpdir(), 'lab-it-site-'));
  if (site) {
    writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>lab test</title><h1>실습</h1>');
    writeFileSync(path.join(site, '404.html'), '<!doctype html><h1>404</h1>');
  }
  const removeSite = () => site && rmSync(site, { recursive: true, force: true });
  try {
    const server = await startLabServer({
      instance,
      ready: 'answering',
      env: { ...(site ? { LAB_SITE_DIR: site } : {}), LAB_WARM_POOL: '0', LAB_SESSION_BURST: '1000', ...env },
    });
    void server.exited.then(removeSite);
    return server;
  } catch (error) {
    removeSite();
    throw error;
  }
}
