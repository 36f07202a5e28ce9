import { UsageError } from '../../worker/errors';
import { parseFlags } from '../flags';
import { MARATHON_FLAGS, marathonOptions } from '../marathon-flags';
import { progress } from '../progress';
import { waitForDeployments } from '../wait-deployments';

export const SCALE_HELP = `Usage: workqueue scale APP N [--marathon URL] [--force] [--wait]

Sets the number of instances of Marathon app APP (PUT /v2/apps/APP with {"instances": N}).

Options:
      --marathon URL     Marathon's URL (default: $MARATHON_URL)
      --force            override a deployment that locks the app
      --wait             follow /v2/deployments until the scaling is done
      --timeout SECONDS  how long --wait waits (default 600)
  -h, --help             show this help

Examples:
  workqueue scale worker 10 --wait
  MARATHON_URL=http://marathon.mesos:8080 workqueue scale /worker 0
`;

export async function scale(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { flags, positional } = parseFlags('scale', argv, MARATHON_FLAGS);
  const [app, count, ...extra] = positional;
  const instances = Number(count);
  if (!app || count === undefined || extra.length || !Number.isInteger(instances) || instances < 0) {
    throw new UsageError('scale: give APP and a whole number N >= 0, e.g. workqueue scale worker 5');
  }
  const { client, force, wait, timeoutSeconds } = marathonOptions('scale', flags, env);
  const deployment = await client.scale(app, instances, force);
  progress(`scaling /${app.replace(/^\/+/, '')} to ${instances} (deployment ${deployment})`);
  if (wait && deployment) await waitForDeployments(client, [deployment], timeoutSeconds);
  return 0;
}
