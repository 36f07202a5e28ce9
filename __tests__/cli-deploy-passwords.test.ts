import { rmSync } from 'node:fs';
import { Broker, WorkQueueWorker } from '../constructs';
import { runCli } from './helpers/cli-process';
import { MarathonStandIn } from './helpers/marathon-stand-in';
import { synthesizedProject } from './helpers/synth';
import type { Construct } from 'constructs';

/** A project folder whose cdktf.out holds the Marathon apps `build` synthesizes. */
function project(build: (stack: Construct) => void): string {
  return synthesizedProject('wq-cli-pw', build);
}

/** Characters that end a URL's user-info, path or query, a %-escape, and non-ASCII. */
const PASSWORD = 'p@ss/w#rd?x=1&ä %2F:€';

type App = { id: string; env?: Record<string, string>; args?: string[] };

describe('workqueue deploy fills passwords into URLs encoded', () => {
  let marathon: MarathonStandIn;
  let cwd: string | undefined;
  beforeEach(async () => {
    marathon = new MarathonStandIn();
    await marathon.listen();
  });
  afterEach(async () => {
    await marathon.close();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });
  const deployed = (id: string) =>
    marathon.requests
      .filter((r) => r.method === 'PUT')
      .map((r) => r.body as App)
      .find((a) => a.id === id)!;

  it('gives workers a URL that parses back to broker host and password, and the broker the raw password', async () => {
    // GIVEN a synthesized broker and worker
    cwd = project((stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'], target: 'marathon' });
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, name: 'worker' });
    });

    // WHEN they are deployed with a password full of URL syntax
    const exit = await runCli(['deploy', '-t', 'v1', '--marathon', marathon.url], {
      cwd,
      env: { BROKER_PASSWORD: 'admin-pw', WORKER_PASSWORD: PASSWORD },
    });

    // THEN the worker's URL still goes to the broker, with the password intact
    expect(exit.code).toBe(0);
    const url = new URL(deployed('/worker').env!.AMQP_URL);
    expect([url.protocol, url.hostname, url.port]).toEqual(['amqp:', 'broker', '5672']);
    expect(decodeURIComponent(url.password)).toBe(PASSWORD);
    // AND the broker's environment value is the password itself, not encoded
    expect(deployed('/broker').env!.WQ_WORKER_PASSWORD).toBe(PASSWORD);
  });

  it('encodes a path placeholder, and refuses a host placeholder whose value would change the URL', async () => {
    // GIVEN a worker whose broker URL has placeholders for the host and the vhost
    cwd = project((stack) => {
      new WorkQueueWorker(stack, 'workers', {
        queue: 'jobs',
        broker: 'amqp://{{APP_HOST}}/{{APP_VHOST}}',
        name: 'worker',
        target: 'marathon',
      });
    });

    // WHEN deployed with a host:port and a vhost that is itself a path
    const good = await runCli(['deploy', '-t', 'v1', '--marathon', marathon.url], {
      cwd,
      env: { APP_HOST: 'rabbit.internal:5673', APP_VHOST: 'team/jobs' },
    });
    // THEN the URL parses back to them
    expect(good.code).toBe(0);
    const url = new URL(deployed('/worker').env!.AMQP_URL);
    expect([url.hostname, url.port, decodeURIComponent(url.pathname.slice(1))]).toEqual([
      'rabbit.internal',
      '5673',
      'team/jobs',
    ]);

    // WHEN the host value holds an @ and a / (it would send the worker elsewhere)
    const bad = await runCli(['deploy', '-t', 'v1', '--marathon', marathon.url], {
      cwd,
      env: { APP_HOST: 'evil.example/@x', APP_VHOST: 'v' },
    });
    // THEN deploy refuses in one line, without the value, and PUTs nothing more
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^workqueue: error: app \/worker: \{\{APP_HOST\}\} stands for a host in a URL/),
    ]);
    expect(bad.stderr).not.toContain('evil');
    expect(marathon.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });
});
