/**
 * The lesson images a warm-pool sandbox pulls from the mirror while it waits
 * for a reader (LAB_PREPULL), so the reader's first `docker run nginx` finds
 * the image there instead of pulling it first.
 *
 * Measured on the 2-core bench machine under load (npm run bench:sandbox,
 * docs/benchmarks.md): the first `docker run --rm nginx` in a fresh sandbox
 * took 11.2 s (median of 3) against 2.8 s with the image present (ratio 4);
 * after the pre-pull 1.5 s (ratio 0.5). Cost: 99.6 MiB of pulled layers on
 * the disk of each sandbox waiting in the pool, and ~6 s of pulling while
 * it waits. Default: the images most snippets use (counted
 * over content/: nginx in 15 runnable snippets, busybox in 17).
 *
 * Why not one shared read-only store: the inner engine's overlay2 needs its
 * layers on a real filesystem it owns (overlay2 cannot sit on overlay), and
 * `docker rmi` must be able to delete them; docs/benchmarks.md has the
 * investigation.
 *
 * Only pool boots pre-pull (docker-driver.ts): a session's own boot has a
 * reader waiting, whose first commands must not compete with a pull. A
 * reader who takes the sandbox while it pulls shares the pull: the inner
 * dockerd downloads each layer once however many ask for it.
 */
import type Docker from 'dockerode';
import { runExec } from './exec.ts';
import { SANDBOX_SHELL } from './spec.ts';

/** At most this many images: each costs disk in every pooled sandbox. */
export const MAX_PREPULL_IMAGES = 8;

/** name[:tag] with an optional registry host and path, as the lessons write them; nothing a shell would read as more. */
const IMAGE_REF =
  /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\.[a-z0-9-]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;

/** LAB_PREPULL: a comma- or space-separated list; `off` or empty for none. Throws on a reference that is not one. */
export function parsePrepull(value: string): string[] {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === 'off') return [];
  const images = [...new Set(trimmed.split(/[\s,]+/).filter(Boolean))];
  const bad = images.find((i) => !IMAGE_REF.test(i) || i.length > 255);
  if (bad !== undefined) throw new Error(`not an image reference: ${JSON.stringify(bad)}`);
  if (images.length > MAX_PREPULL_IMAGES) throw new Error(`at most ${MAX_PREPULL_IMAGES} images (each one is on every pooled sandbox's disk)`);
  return images;
}

/** The command run in the sandbox: the reader's own shell (lab-shell, user namespace), one pull after the other. */
export function prepullCommand(images: readonly string[]): string[] {
  return [...SANDBOX_SHELL.command, '-c', images.map((image) => `docker pull -q ${image} >/dev/null`).join(' && ')];
}

/** Pulls `images` inside the sandbox; resolves with the time it took, rejects with the pull's error output. */
export async function prepull(docker: Docker, containerId: string, images: readonly string[], timeoutMs: number): Promise<number> {
  const started = Date.now();
  const result = await runExec(docker, containerId, prepullCommand(images), timeoutMs);
  if (result.code !== 0) throw new Error(`pre-pull exited ${result.code}: ${result.stderr.slice(-300)}`);
  return Date.now() - started;
}
