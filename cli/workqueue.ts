import { version } from '../package.json';
import { UsageError } from '../worker/command-line/errors';
import { HelpRequested } from '../worker/command-line/flags';
import { BUILD_HELP, build } from './commands/build';
import { DEPLOY_HELP, deploy } from './commands/deploy';
import { DLQ_HELP, dlq } from './commands/dlq';
import { PUBLISH_HELP, publish } from './commands/publish';
import { RUN_LOCAL_HELP, runLocal } from './commands/run-local';
import { SCALE_HELP, scale } from './commands/scale';
import { STATUS_HELP, status } from './commands/status';

type Command = { run: (argv: readonly string[], env: NodeJS.ProcessEnv) => Promise<number>; help: string };

const COMMANDS: Record<string, Command> = {
  build: { run: build, help: BUILD_HELP },
  'run-local': { run: runLocal, help: RUN_LOCAL_HELP },
  deploy: { run: deploy, help: DEPLOY_HELP },
  scale: { run: scale, help: SCALE_HELP },
  publish: { run: publish, help: PUBLISH_HELP },
  status: { run: status, help: STATUS_HELP },
  dlq: { run: dlq, help: DLQ_HELP },
};

export const HELP = `Usage: workqueue COMMAND [options]

Builds, runs, deploys and watches the work queue system that the cdktf stack in this folder
describes (cdktf.out is synthesized when missing).

Commands:
  build [APP...] -t TAG         build the images from the synthesized contexts (Docker)
  run-local APP -t TAG          run one app on this host (Docker); APP may be broker or worker
                                when the stack has one of that kind
  deploy [APP...]               create or replace the Marathon apps (broker first), --wait
  scale APP N                   set a Marathon app's instances
  publish -q QUEUE [FILE...]    put messages on a queue (stdin lines or files), confirmed
  status [-q QUEUE] [-o json]   ready, unacked, dead-lettered, consumers, Marathon tasks
  dlq ls|show|replay|purge -q QUEUE
                                look at dead letters, put them back on QUEUE, or delete them

APP is a Marathon app id of the stack (e.g. thumbnails-worker), or broker or worker for every
app of that kind.

Run 'workqueue COMMAND --help' for a command's options and examples.

Examples:
  seq 100 | workqueue publish -q queue -u amqp://workqueue:PASSWORD@localhost:5672
  BROKER_PASSWORD=... workqueue deploy -t v1 --marathon http://marathon.mesos:8080 --wait
  workqueue run-local thumbnails-worker -t dev -u amqp://localhost:5672
  workqueue status -q queue -o json
  workqueue dlq replay -q queue --reason 'exit code 75'
`;

/** Runs the workqueue command line; resolves the exit status. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(rest[0] && COMMANDS[rest[0]] ? COMMANDS[rest[0]].help : HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(`workqueue ${version}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command)
    throw new UsageError(
      `unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')}; see workqueue --help)`,
    );
  try {
    return await command.run(rest, env);
  } catch (err) {
    if (!(err instanceof HelpRequested)) throw err;
    process.stdout.write(command.help);
    return 0;
  }
}
