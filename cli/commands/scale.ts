import { UsageError } from '../../worker/command-line/errors';
import { printable } from '../../worker/observability/printable';
import { parseFlags } from '../../worker/command-line/flags';
import { MARATHON_FLAGS, marathonOptions } from '../marathon-flags';
import { progress } from '../progress';
import { normalAppId } from '../stack-apps';
import { waitForDeployments } from '../wait-deployments';

export const SCALE_HELP = `Usage: workqueue scale APP N [--marathon URL] [--force] [--wait]

Sets the number of instances of Marathon app APP (PUT /v2/apps/APP with {"instances": N}).
N is a whole number from 0 up; anything else (-1, 2.5) is refused with exit 2.

Options:
      --marathon URL     Marathon's URL (default: $MARATHON_URL)
      --force            override a deployment that locks the app
      --wait             follow /v2/deployments until the scaling is done
      --timeout SECONDS  how long --wait waits (default 600)
  -h, --help             show this help

Examples:
  workqueue scale worker 10 --wait
  workqueue scale thumbnails-worker 0
  MARATHON_URL=http://marathon.mesos:8080 workqueue scale /worker 0
`;

export async function scale(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { flags, positional } = parseFlags('scale', argv, MARATHON_FLAGS);
  const [app, count, ...extra] = positional;
  if (!app || count === undefined || extra.length) {
    throw new UsageError('scale: give APP and a whole number N >= 0, e.g. workqueue scale worker 5');
  }
  const instances = /^\d{1,9}$/.test(count) ? Number(count) : NaN;
  if (!Number.isInteger(instances)) {
    throw new UsageError(`scale: the instance count must be a whole number from 0 up, not '${printable(count, 20)}'`);
  }
  const { client, force, wait, timeoutSeconds } = marathonOptions('scale', flags, env);
  const deployment = await client.scale(app, instances, force);
  progress(`scaling ${normalAppId(app)} to ${instances} (deployment ${deployment})`);
  if (wait && deployment) await waitForDeployments(client, [deployment], timeoutSeconds);
  return 0;
}
