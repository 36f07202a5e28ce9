import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokerUrl } from './helpers/amqp';
import { runCli } from './helpers/cli-process';

/** The one line a refused command prints, and its exit status. */
async function refusal(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; lines: string[] }> {
  const exit = await runCli(args, { cwd, env, input: 'x\n' });
  return { code: exit.code, lines: exit.stderr.trim().split('\n') };
}

const cwd = mkdtempSync(join(tmpdir(), 'wq-cli-input-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('workqueue refuses bad flags in one line naming the flag, exit 2', () => {
  it.each([
    [
      ['publish', '-q', 'jobs', '-u', 'notaurl'],
      {},
      /^workqueue: error: publish: -u\/--url is not a valid URL: give amqp/,
    ],
    [
      ['publish', '-q', 'jobs', '-u', 'http://broker:5672'],
      {},
      /^workqueue: error: publish: -u\/--url must start with amqp:\/\/ or amqps:\/\//,
    ],
    [
      ['publish', '-q', 'jobs'],
      { AMQP_URL: 'localhost:5672' },
      /^workqueue: error: publish: \$AMQP_URL must start with amqp:\/\//,
    ],
    [['status', '-q', 'jobs', '-u', 'amqp://'], {}, /^workqueue: error: status: -u\/--url has no host/],
    [
      ['status', '-q', 'jobs', '--management', 'notaurl'],
      {},
      /^workqueue: error: status: --management is not a valid URL/,
    ],
    [['status', '-q', 'jobs', '--marathon', 'notaurl'], {}, /^workqueue: error: --marathon is not a URL/],
    [
      ['status', '-q', 'jobs', '-o', 'yaml'],
      {},
      /^workqueue: error: status: -o\/--output must be table or json, not 'yaml'$/,
    ],
    [['deploy', '--marathon', 'ftp://marathon:8080'], {}, /^workqueue: error: --marathon is not a URL/],
    [
      ['build', '-t', 'bad tag!'],
      {},
      /^workqueue: error: build: -t 'bad tag!' is not a Docker tag: use up to 128 letters, digits/,
    ],
    [['run-local', 'worker', '-t', '$(id)'], {}, /^workqueue: error: run-local: -t '\$\(id\)' is not a Docker tag/],
    [
      ['scale', 'worker', '-1'],
      {},
      /^workqueue: error: scale: the instance count must be a whole number from 0 up, not '-1'$/,
    ],
    [
      ['scale', 'worker', '2.5'],
      {},
      /^workqueue: error: scale: the instance count must be a whole number from 0 up, not '2.5'$/,
    ],
  ])('%j', async (args, env, line) => {
    // GIVEN a reachable broker for the commands that would otherwise go on (status with a bad other flag)
    const withBroker = args.includes('-u') || 'AMQP_URL' in env ? env : { AMQP_URL: brokerUrl(), ...env };
    // WHEN the command runs with the bad value
    const { code, lines } = await refusal(args, withBroker);
    // THEN one line names the flag, exit 2
    expect({ code, lines }).toEqual({ code: 2, lines: [expect.stringMatching(line)] });
  });
});
