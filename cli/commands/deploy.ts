import { parseFlags, text, type FlagSpec } from '../../worker/command-line/flags';
import { MARATHON_FLAGS, marathonOptions } from '../marathon-flags';
import { fillPlaceholders } from '../placeholders';
import { progress } from '../progress';
import { UsageError } from '../../worker/command-line/errors';
import { COMPONENT_LABEL, QUEUE_LABEL } from '../../constructs/app-labels';
import { ERLANG_COOKIE_PLACEHOLDER, ERLANG_COOKIE_RULE, ERLANG_COOKIE_WORDS } from '../../constructs/erlang-cookie';
import { ambiguous, appsNamed, labelOf, normalAppId } from '../stack-apps';
import { marathonApps, stackDir } from '../synth-output';
import { waitForDeployments } from '../wait-deployments';
import { tagOption } from '../tag-option';

export const DEPLOY_HELP = `Usage: workqueue deploy [APP...] [-t TAG] [-b BROKER] [-q QUEUE] [--marathon URL]
                        [--force] [--wait]

Creates or replaces the synthesized Marathon apps (cdktf.out/stacks/<stack>/marathon/*.json) with
PUT /v2/apps/{id}?partialUpdate=false, each app after the apps it depends on (the broker before
the workers). {{PLACEHOLDERS}} are filled from the flags (-t fills {{TAG}}) and the environment
({{BROKER_PASSWORD}} from $BROKER_PASSWORD: the broker's administrator; {{WORKER_PASSWORD}} from
$WORKER_PASSWORD: the workers' own user; {{ERLANG_COOKIE}} from $ERLANG_COOKIE: the cookie of a
broker cluster's nodes, at least 20 letters and digits, the same on every deploy; {{NAME}} of a
worker's secretEnv from $NAME); inside a URL a value is percent-encoded, so a password holding
@ / # stays a password. -b and -q also set the workers' -b and -q arguments (-b a,b,c: one -b and
one dependency each, for the nodes of a cluster). APP is an app id (broker, worker: every app of
that kind when no app has that id); -q with several worker apps is refused unless they are named,
so that one queue is never given to every fleet by mistake.
Marathon: --marathon or $MARATHON_URL (user:password@ for basic auth), or $MARATHON_TOKEN.

Options:
  -t, --tag TAG          image tag for {{TAG}}
  -b, --broker NAME      broker app the workers use (sets their -b and dependency);
                         NAME,NAME,... for the nodes of a cluster
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
  ERLANG_COOKIE=$(cat cookie) BROKER_PASSWORD=... WORKER_PASSWORD=... workqueue deploy -t v1.2 --wait
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
  const given = {
    TAG: tagOption('deploy', flags, false),
    BROKER: text(flags, 'broker'),
    QUEUE: text(flags, 'queue'),
    // An autoscaler app scales its fleet through the Marathon this deploy talks to, with the same login.
    MARATHON_URL: text(flags, 'marathon') ?? env.MARATHON_URL,
    MARATHON_TOKEN: env.MARATHON_TOKEN ?? '',
  };
  const workers = apps.filter((a) => labelOf(a, COMPONENT_LABEL) === 'worker');
  // One -q for several fleets, none of them named, would point them all at one queue.
  const named = positional.every((word) => all.some((a) => a.id === normalAppId(word)));
  if (given.QUEUE !== undefined && workers.length > 1 && !(positional.length > 0 && named)) {
    throw ambiguous('deploy -q', workers, `workqueue deploy APP -q ${given.QUEUE}`);
  }
  checkErlangCookie(apps, env);
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

/**
 * Refuses, before any PUT, a cookie the broker's entrypoint would refuse at start (every node of the
 * cluster would then fail its health checks); the value itself is never shown.
 */
function checkErlangCookie(apps: readonly { definition: Record<string, unknown> }[], env: NodeJS.ProcessEnv): void {
  const placeholder = `{{${ERLANG_COOKIE_PLACEHOLDER}}}`;
  if (!apps.some((a) => JSON.stringify(a.definition.env ?? {}).includes(placeholder))) return;
  const cookie = env[ERLANG_COOKIE_PLACEHOLDER];
  if (cookie !== undefined && !ERLANG_COOKIE_RULE.test(cookie)) {
    throw new UsageError(
      `deploy: $${ERLANG_COOKIE_PLACEHOLDER} must be ${ERLANG_COOKIE_WORDS}; the broker nodes refuse any other`,
    );
  }
}

/** The -b/-q arguments of worker apps and their autoscalers (and a worker's broker dependencies) set from the flags. */
function withWorkerArgs(
  app: Record<string, unknown>,
  broker: string | undefined,
  queue: string | undefined,
): Record<string, unknown> {
  const labels = (app.labels ?? {}) as Record<string, string>;
  // A fleet's autoscaler reads the fleet's queue on the same broker: it takes the same -b and -q.
  const component = labels[COMPONENT_LABEL];
  if ((component !== 'worker' && component !== 'autoscaler') || !Array.isArray(app.args)) return app;
  const all = app.args as string[];
  const end = all.indexOf('--') === -1 ? all.length : all.indexOf('--');
  let options = all.slice(0, end);
  const brokers = broker?.split(',').filter(Boolean);
  if (brokers !== undefined && brokers.length > 0) {
    // Every -b goes (a cluster's app has one per node); the given names come first, one -b each.
    const kept: string[] = [];
    for (let i = 0; i < options.length; i++) {
      if (options[i] === '-b') i++;
      else kept.push(options[i]);
    }
    options = [...brokers.flatMap((name) => ['-b', name]), ...kept];
  }
  const qAt = options.indexOf('-q');
  if (queue !== undefined && qAt !== -1) options[qAt + 1] = queue;
  const out: Record<string, unknown> = { ...app, args: [...options, ...all.slice(end)] };
  // An autoscaler depends on its fleet's app, not on the broker's.
  if (brokers !== undefined && brokers.length > 0 && component === 'worker')
    out.dependencies = brokers.map(normalAppId);
  if (queue !== undefined) out.labels = { ...labels, [QUEUE_LABEL]: queue };
  return out;
}
