import { FatalError } from '../worker/command-line/errors';
import type { MarathonClient } from '../worker/marathon/marathon-client';
import { progress } from './progress';

/** Follows GET /v2/deployments until none of `ids` is listed, printing progress. */
export async function waitForDeployments(
  client: MarathonClient,
  ids: readonly string[],
  timeoutSeconds: number,
): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let last = '';
  for (;;) {
    const running = (await client.deployments()).filter((d) => ids.includes(d.id));
    if (running.length === 0) {
      progress(`deployments done: ${ids.length}`);
      return;
    }
    const line = running
      .map((d) => `${(d.affectedApps ?? []).join(',')} step ${d.currentStep ?? '?'}/${d.totalSteps ?? '?'}`)
      .join('; ');
    if (line !== last) progress(`waiting: ${line}`);
    last = line;
    if (Date.now() > deadline) throw new FatalError(`deployments still running after ${timeoutSeconds} s: ${line}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
