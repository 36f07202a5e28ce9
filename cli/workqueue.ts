import { version } from '../package.json';
import { UsageError } from '../worker/errors';
import { DEPLOY_HELP, deploy } from './commands/deploy';
import { PUBLISH_HELP, publish } from './commands/publish';
import { SCALE_HELP, scale } from './commands/scale';
import { STATUS_HELP, status } from './commands/status';

type Command = { run: (argv: readonly string[], env: NodeJS.ProcessEnv) => Promise<number>; help: string };

const COMMANDS: Record<string, Command> = {
  deploy: { run: deploy, help: DEPLOY_HELP },
  scale: { run: scale, help: SCALE_HELP },
  publish: { run: publish, help: PUBLISH_HELP },
  status: { run: status, help: STATUS_HELP },
};

export const HELP = `Usage: workqueue COMMAND [options]

Builds, runs, deploys and watches the work queue system that the cdktf stack in this folder
describes (cdktf.out is synthesized when missing).

Commands:
  deploy [APP...]   create or replace the Marathon apps (broker first), fill {{PLACEHOLDERS}}, --wait
  scale APP N       set a Marathon app's instances
  publish -q QUEUE  put messages on a queue (lines of stdin, or one per FILE), confirmed
  status [-q QUEUE] ready, unacked and dead-lettered counts, consumers, Marathon tasks

Run 'workqueue COMMAND --help' for a command's options and examples.

Examples:
  seq 100 | workqueue publish -q queue -u amqp://workqueue:PASSWORD@localhost:5672
  BROKER_PASSWORD=... workqueue deploy -t v1 --marathon http://marathon.mesos:8080 --wait
  workqueue status -q queue
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
  if (!command) throw new UsageError(`unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')}; see workqueue --help)`);
  return command.run(rest, env);
}
