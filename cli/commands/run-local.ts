import { spawnSync } from 'node:child_process';
import { FatalError, UsageError } from '../../worker/errors';
import { parseFlags, text, type FlagSpec } from '../flags';
import { imageManifests } from '../image-manifests';
import { progress } from '../progress';
import { marathonApps, stackDir } from '../synth-output';

export const RUN_LOCAL_HELP = `Usage: workqueue run-local [broker|worker] -t TAG [-q QUEUE] [-u URL | -b BROKER] [-d]

Runs one component of the stack on this host with the local Docker engine, as the synthesized
apps describe it (the worker's program and runtime options come from its Marathon app):
  broker  publishes AMQP on 127.0.0.1:--port (default 5672) and the management UI on --port +10000;
          the password comes from $BROKER_PASSWORD
  worker  uses the host's network, so -u amqp://...@localhost:5672 reaches a local broker

Options:
  -t, --tag TAG        image tag (build it first with workqueue build)
  -q, --queue NAME     queue the worker consumes (default: the app's)
  -u, --url URL        broker URL for the worker (default: $AMQP_URL)
  -b, --broker NAME    let the worker discover the broker by name instead
      --port PORT      host port of the broker's AMQP listener (default 5672)
  -d, --detach         run in the background and print the container name
      --stack NAME     which synthesized stack (default: the only one)
  -h, --help           show this help

Examples:
  BROKER_PASSWORD=secret workqueue run-local broker -t dev -d
  workqueue run-local worker -t dev -u amqp://workqueue:secret@localhost:5672
`;

const SPECS: FlagSpec[] = [
  { names: ['-t', '--tag'], key: 'tag', value: true },
  { names: ['-q', '--queue'], key: 'queue', value: true },
  { names: ['-u', '--url'], key: 'url', value: true },
  { names: ['-b', '--broker'], key: 'broker', value: true },
  { names: ['--port'], key: 'port', value: true },
  { names: ['-d', '--detach'], key: 'detach', value: false },
  { names: ['--stack'], key: 'stack', value: true },
];

export async function runLocal(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { flags, positional } = parseFlags('run-local', argv, SPECS);
  const component = positional[0];
  if (component !== 'broker' && component !== 'worker') throw new UsageError('run-local: name the component: broker or worker');
  const tag = text(flags, 'tag');
  if (!tag) throw new UsageError('run-local: missing -t TAG');
  const dir = stackDir({ project: process.cwd(), stack: text(flags, 'stack'), synth: false, progress });
  const [image] = imageManifests(dir, component);
  const app = marathonApps(dir).find((a) => (a.definition.labels as Record<string, string> | undefined)?.['workqueue.component'] === component);
  if (!app) throw new UsageError(`run-local: no synthesized ${component} app in ${dir}`);
  const name = app.id.replace(/^\/+/, '').split('/').join('-');
  const detach = flags.detach === true;
  const args = ['run', '--rm', '--init', '--name', name, ...(detach ? ['-d'] : ['-i'])];
  if (component === 'broker') {
    const password = env.BROKER_PASSWORD;
    if (!password) throw new UsageError('run-local broker: set $BROKER_PASSWORD to the password workers will use');
    const port = Number(text(flags, 'port') ?? 5672);
    if (!Number.isInteger(port) || port < 1 || port > 55535) throw new UsageError('run-local: --port must be a port number up to 55535');
    const user = String((app.definition.env as Record<string, string>).WQ_BROKER_USER);
    args.push('--hostname', name, '-p', `127.0.0.1:${port}:5672`, '-p', `127.0.0.1:${port + 10000}:15672`, '-e', `WQ_BROKER_USER=${user}`, '-e', 'WQ_BROKER_PASSWORD');
    args.push(`${image.image}:${tag}`);
  } else {
    const url = text(flags, 'url') ?? env.AMQP_URL;
    const broker = text(flags, 'broker');
    if (!url && !broker) throw new UsageError('run-local worker: give the broker with -u URL (or $AMQP_URL) or -b NAME');
    const appArgs = [...((app.definition.args as string[] | undefined) ?? [])];
    const end = appArgs.indexOf('--') === -1 ? appArgs.length : appArgs.indexOf('--');
    const options = appArgs.slice(0, end);
    const bAt = options.indexOf('-b');
    if (bAt !== -1) options.splice(bAt, 2); // the cluster's broker name means nothing on this host
    const queue = text(flags, 'queue');
    const qAt = options.indexOf('-q');
    if (queue !== undefined && qAt !== -1) options[qAt + 1] = queue;
    args.push('--network', 'host');
    if (url) args.push('-e', 'AMQP_URL');
    args.push(`${image.image}:${tag}`, ...(broker ? ['-b', broker] : []), ...options, ...appArgs.slice(end));
  }
  progress(`docker ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  // Secrets travel as variables named on the command line (-e NAME), never as values in it.
  const result = spawnSync('docker', args, {
    stdio: ['inherit', 'inherit', 'inherit'],
    env: { ...env, WQ_BROKER_PASSWORD: env.BROKER_PASSWORD, AMQP_URL: text(flags, 'url') ?? env.AMQP_URL },
  });
  if (result.error) throw new FatalError(`cannot run docker: ${result.error.message}`);
  return result.status ?? 1;
}
