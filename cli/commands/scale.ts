import { UsageError } from '../../worker/errors';
import { parseFlags, text, type FlagSpec } from '../flags';
import { MarathonClient } from '../marathon-client';
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

const SPECS: FlagSpec[] = [
  { names: ['--marathon'], key: 'marathon', value: true },
  { names: ['--force'], key: 'force', value: false },
  { names: ['--wait'], key: 'wait', value: false },
  { names: ['--timeout'], key: 'timeout', value: true },
];

export async function scale(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { flags, positional, help } = parseFlags('scale', argv, SPECS);
  if (help) {
    process.stdout.write(SCALE_HELP);
    return 0;
  }
  const [app, count, ...extra] = positional;
  const instances = Number(count);
  if (!app || count === undefined || extra.length || !Number.isInteger(instances) || instances < 0) {
    throw new UsageError('scale: give APP and a whole number N >= 0, e.g. workqueue scale worker 5');
  }
  const client = new MarathonClient(text(flags, 'marathon') ?? env.MARATHON_URL, env.MARATHON_TOKEN);
  const deployment = await client.scale(app, instances, flags.force === true);
  progress(`scaling /${app.replace(/^\/+/, '')} to ${instances} (deployment ${deployment})`);
  if (flags.wait === true && deployment) await waitForDeployments(client, [deployment], Number(text(flags, 'timeout') ?? 600));
  return 0;
}
