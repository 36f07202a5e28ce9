import { spawnSync } from 'node:child_process';
import { FatalError, UsageError } from '../../worker/command-line/errors';
import { appIdPath } from '../../worker/broker/marathon-endpoint';
import { parseFlags, text, type FlagSpec } from '../../worker/command-line/flags';
import { brokerUrlsOption } from '../broker-url-option';
import { fillPlaceholders } from '../placeholders';
import { progress } from '../progress';
import { componentApps } from '../image-manifests';
import { oneApp } from '../stack-apps';
import { stackDir } from '../synth-output';
import { tagOption } from '../tag-option';

export const RUN_LOCAL_HELP = `Usage: workqueue run-local APP|broker|worker -t TAG [-q QUEUE] [-u URL | -b BROKER] [-d]

Runs one app of the stack on this host with the local Docker engine, in the image and with the
arguments its synthesized manifest (cdktf.out/stacks/<stack>/images/<image>.json) describes, whatever
the stack's target. Name the app by its id (as deploy does); broker
or worker stand for the stack's only app of that kind, and are refused, with the choices, when
the stack has several (two worker fleets: name the fleet).
  broker  publishes AMQP on 127.0.0.1:--port (default 5672), and the management UI on
          127.0.0.1:--management-port only when that is given; the passwords come from
          $BROKER_PASSWORD (administrator) and $WORKER_PASSWORD (the workers' user)
  worker  uses the host's network, so -u amqp://...@localhost:5672 reaches a local broker; the
          app's other variables are set too, {{NAME}} placeholders (secretEnv) from $NAME
Values from the environment reach docker as -e NAME, never on its command line.

Options:
  -t, --tag TAG        image tag (build it first with workqueue build)
  -q, --queue NAME     queue the worker consumes (default: the app's)
  -u, --url URL        broker URL for the worker (default: $AMQP_URL); several for a cluster
                       (repeat -u, or a comma-separated list)
  -b, --broker NAME    let the worker discover the broker by name instead
      --port PORT      host port of the broker's AMQP listener (default 5672)
      --management-port PORT  publish the broker's management UI on 127.0.0.1:PORT
  -d, --detach         run in the background and print the container name
      --stack NAME     which synthesized stack (default: the only one)
  -h, --help           show this help

Examples:
  BROKER_PASSWORD=admin-secret WORKER_PASSWORD=secret workqueue run-local broker -t dev -d
  workqueue run-local worker -t dev -u amqp://workqueue-worker:secret@localhost:5672
  workqueue run-local thumbnails-worker -t dev -q thumbnails-test -u amqp://localhost:5672
`;

const SPECS: FlagSpec[] = [
  { names: ['-t', '--tag'], key: 'tag', value: true },
  { names: ['-q', '--queue'], key: 'queue', value: true },
  { names: ['-u', '--url'], key: 'url', value: true },
  { names: ['-b', '--broker'], key: 'broker', value: true },
  { names: ['--port'], key: 'port', value: true },
  { names: ['--management-port'], key: 'managementPort', value: true },
  { names: ['-d', '--detach'], key: 'detach', value: false },
  { names: ['--stack'], key: 'stack', value: true },
];

export async function runLocal(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { flags, values, positional } = parseFlags('run-local', argv, SPECS);
  if (positional.length !== 1) {
    throw new UsageError('run-local: name one app: its id, or broker or worker when the stack has one');
  }
  const tag = tagOption('run-local', flags, true)!;
  const dir = stackDir({ project: process.cwd(), stack: text(flags, 'stack'), synth: false, progress });
  const app = oneApp('run-local', componentApps(dir), positional[0], `workqueue run-local APP -t ${tag}`);
  const { component, manifest: image } = app;
  const name = appIdPath(app.id).split('/').join('-');
  const detach = flags.detach === true;
  const args = ['run', '--rm', '--init', '--name', name, ...(detach ? ['-d'] : ['-i'])];
  // The app's variables, placeholders filled from the environment; passed as -e NAME with the values in docker's env.
  const appEnv = image.env ?? {};
  const own: Record<string, string> = {};
  const pass = (vars: Record<string, string>) => {
    for (const [k, v] of Object.entries(vars)) {
      own[k] = v;
      args.push('-e', k);
    }
  };
  if (component === 'broker') {
    if (app.nodeName !== undefined) {
      // Its configuration lists the other nodes by their names on the platform, which mean nothing on this host.
      throw new UsageError(
        `run-local: app ${app.id} is one node of a broker cluster (${app.nodeName}); run-local runs ` +
          'single-node brokers: synthesize the broker with nodes: 1 to try it here, ' +
          "or run the cluster with the 'docker' target",
      );
    }
    pass(fillPlaceholders(appEnv, {}, env, 'run-local broker'));
    const port = portFlag(flags, 'port', 5672);
    const management = text(flags, 'managementPort') === undefined ? undefined : portFlag(flags, 'managementPort', 0);
    args.push('--hostname', name, '-p', `127.0.0.1:${port}:5672`);
    if (management !== undefined) args.push('-p', `127.0.0.1:${management}:15672`);
    args.push(`${image.image}:${tag}`);
  } else {
    const given = text(flags, 'url') !== undefined || env.AMQP_URL !== undefined;
    const url = given ? brokerUrlsOption('run-local', values, env).join(',') : undefined;
    const broker = text(flags, 'broker');
    if (!url && !broker)
      throw new UsageError('run-local worker: give the broker with -u URL (or $AMQP_URL) or -b NAME');
    pass(fillPlaceholders(appEnv, {}, env, 'run-local worker')); // no AMQP_URL: the stack's means nothing here
    if (url) pass({ AMQP_URL: url });
    const appArgs = [...(image.args ?? [])];
    const end = appArgs.indexOf('--') === -1 ? appArgs.length : appArgs.indexOf('--');
    const options = appArgs.slice(0, end); // the manifest names no broker (-b): the flags here do
    const queue = text(flags, 'queue');
    const qAt = options.indexOf('-q');
    if (queue !== undefined && qAt !== -1) options[qAt + 1] = queue;
    args.push('--network', 'host');
    args.push(`${image.image}:${tag}`, ...(broker ? ['-b', broker] : []), ...options, ...appArgs.slice(end));
  }
  progress(`docker ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  // Secrets travel as variables named on the command line (-e NAME), never as values in it.
  const result = spawnSync('docker', args, { stdio: ['inherit', 'inherit', 'inherit'], env: { ...env, ...own } });
  if (result.error) throw new FatalError(`cannot run docker: ${result.error.message}`);
  return result.status ?? 1;
}

/** A --port style flag: a port number a host can publish (AMQP's +10000 convention needs none now). */
function portFlag(flags: Parameters<typeof text>[0], key: string, fallback: number): number {
  const raw = text(flags, key);
  const port = Number(raw ?? fallback);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    const flag = key === 'port' ? '--port' : '--management-port';
    throw new UsageError(`run-local: ${flag} must be a port number from 1 to 65535, not '${raw}'`);
  }
  return port;
}
