import { parseFlags, text, type FlagSpec } from '../flags';
import { MARATHON_FLAGS, marathonOptions } from '../marathon-flags';
import { fillPlaceholders } from '../placeholders';
import { progress } from '../progress';
import { COMPONENT_LABEL, QUEUE_LABEL } from '../../constructs/app-labels';
import { ambiguous, appsNamed, labelOf, normalAppId } from '../stack-apps';
import { marathonApps, stackDir } from '../synth-output';
import { waitForDeployments } from '../wait-deployments';

export const DEPLOY_HELP = `Usage: workqueue deploy [APP...] [-t TAG] [-b BROKER] [-q QUEUE] [--marathon URL]
                        [--force] [--wait]

Creates or replaces the synthesized Marathon apps (cdktf.out/stacks/<stack>/marathon/*.json) with
PUT /v2/apps/{id}?partialUpdate=false, each app after the apps it depends on (the broker before
the workers). {{PLACEHOLDERS}} are filled from the flags (-t fills {{TAG}}) and the environment
({{BROKER_PASSWORD}} from $BROKER_PASSWORD: the broker's administrator; {{WORKER_PASSWORD}} from
$WORKER_PASSWORD: the workers' own user; {{NAME}} of a worker's secretEnv from $NAME); inside a URL
a value is percent-encoded, so a password holding @ / # stays a password. -b and -q also set the
workers' -b and -q arguments. APP is an app id (broker, worker: every app of that kind when no app
has that id); -q with several worker apps is refused unless they are named, so that one queue is
never given to every fleet by mistake.
Marathon: --marathon or $MARATHON_URL (user:password@ for basic auth), or $MARATHON_TOKEN.

Options:
  -t, --tag TAG          image tag for {{TAG}}
  -b, --broker NAME      broker app the workers use (sets their -b and dependency)
  -q, --queue NAME       queue the workers consume (sets their -q)
      --marathon URL     Marathon's URL (default: $MARATHON_URL)
      --force            override a deployment that locks an app (Marathon's ?force=true)
      --wait             follow /v2/deployments until they are done
      --timeout SECONDS  how long --wait waits (default 600)
      --stack NAME       which synthesized stack (default: the only one)
      --synth            synthesize first, even when cdktf.out exists
  -h, --help             show this help

Examples:
  BROKER_PASSWORD=... WORKER_PASSWORD=... workqueue deploy -t v1.2 --marathon http://marathon.mesos:8080 --wait
  workqueue deploy worker -t v1.3 -q images --force
  workqueue deploy thumbnails-worker -t v1.3 -q thumbnails-v2
`;

const SPECS: FlagSpec[] = [
  { names: ['-t', '--tag'], key: 'tag', value: true },
  { names: ['-b', '--broker'], key: 'broker', value: true },
  { names: ['-q', '--queue'], key: 'queue', value: true },
  ...MARATHON_FLAGS,
  { names: ['--stack'], key: 'stack', value: true },
  { names: ['--synth'], key: 'synth', value: false },
];

export async function deploy(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { flags, positional } = parseFlags('deploy', argv, SPECS);
  const { client, force, wait, timeoutSeconds } = marathonOptions('deploy', flags, env);
  const dir = stackDir({ project: process.cwd(), stack: text(flags, 'stack'), synth: flags.synth === true, progress });
  const all = marathonApps(dir);
  const apps = positional.length > 0 ? appsNamed('deploy', all, positional) : all;
  const given = { TAG: text(flags, 'tag'), BROKER: text(flags, 'broker'), QUEUE: text(flags, 'queue') };
  const workers = apps.filter((a) => labelOf(a, COMPONENT_LABEL) === 'worker');
  // One -q for several fleets, none of them named, would point them all at one queue.
  const named = positional.every((word) => all.some((a) => a.id === normalAppId(word)));
  if (given.QUEUE !== undefined && workers.length > 1 && !(positional.length > 0 && named)) {
    throw ambiguous('deploy -q', workers, `workqueue deploy APP -q ${given.QUEUE}`);
  }
  const bodies = apps.map((app) =>
    fillPlaceholders(withWorkerArgs(app.definition, given.BROKER, given.QUEUE), given, env, `app ${app.id}`),
  );
  const deployments: string[] = [];
  for (const body of bodies) {
    const { status, deploymentId } = await client.putApp(body, force);
    progress(`PUT ${body.id} → ${status === 201 ? 'created' : 'updated'} (deployment ${deploymentId})`);
    if (deploymentId) deployments.push(deploymentId);
  }
  if (wait) await waitForDeployments(client, deployments, timeoutSeconds);
  return 0;
}

/** The worker apps' -b/-q arguments (and broker dependency) set from the flags. */
function withWorkerArgs(
  app: Record<string, unknown>,
  broker: string | undefined,
  queue: string | undefined,
): Record<string, unknown> {
  const labels = (app.labels ?? {}) as Record<string, string>;
  if (labels[COMPONENT_LABEL] !== 'worker' || !Array.isArray(app.args)) return app;
  const args = [...(app.args as string[])];
  const end = args.indexOf('--') === -1 ? args.length : args.indexOf('--');
  const set = (flag: string, value: string | undefined) => {
    if (value === undefined) return;
    const at = args.indexOf(flag);
    if (at !== -1 && at < end) args[at + 1] = value;
  };
  set('-b', broker);
  set('-q', queue);
  const out: Record<string, unknown> = { ...app, args };
  if (broker !== undefined) out.dependencies = [normalAppId(broker)];
  if (queue !== undefined) out.labels = { ...labels, [QUEUE_LABEL]: queue };
  return out;
}
