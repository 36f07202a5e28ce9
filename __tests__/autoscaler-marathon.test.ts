import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { TestBroker, brokerUrl, managementUrl, uniqueQueue } from './helpers/amqp';
import { MarathonStandIn } from './helpers/marathon-stand-in';
import { waitFor } from './helpers/wait-for';
import { WorkerProcess, type Exit } from './helpers/worker-process';

/** The bundled autoscaler, as the worker image runs it. */
const AUTOSCALER_BIN = join(__dirname, '..', 'dist', 'workqueue-autoscaler.js');

/** A running workqueue-autoscaler; WorkerProcess's output collection and log waits, with the autoscaler's bundle. */
class AutoscalerProcess extends WorkerProcess {
  protected override start(args: readonly string[], env: NodeJS.ProcessEnv) {
    return spawn(process.execPath, [AUTOSCALER_BIN, ...args], {
      env: { ...process.env, AMQP_URL: undefined, MARATHON_URL: undefined, MARATHON_TOKEN: undefined, ...env },
    });
  }
}

function runAutoscaler(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Exit> {
  return new AutoscalerProcess(args, env).finish(60_000);
}

/** A Marathon app as Marathon keeps it, at `instances`. */
function app(id: string, instances: number): Record<string, unknown> {
  return { id, cmd: 'workqueue-worker -q jobs -- cat', cpus: 0.1, mem: 64, instances };
}

/** One line on stderr for a failure, with the status, never a stack trace. */
function expectOneLineError(exit: Exit, code: number, pattern: RegExp): void {
  expect(exit.code).toBe(code);
  const lines = exit.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^workqueue-autoscaler: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(exit.stderr).not.toMatch(/\n\s+at /);
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('workqueue-autoscaler on Marathon', () => {
  let marathon: MarathonStandIn;
  let broker: TestBroker;
  let queue: string;
  let appId: string;
  /** 50 messages per instance, 0 to 4, evaluated once: the flags every case shares. */
  let flags: string[];

  beforeEach(async () => {
    marathon = new MarathonStandIn();
    await marathon.listen();
    broker = await TestBroker.open();
    queue = uniqueQueue('autoscaler');
    await broker.declare(queue);
    appId = `/${queue}-worker`;
    flags = ['-u', brokerUrl(), '-q', queue, '--messages-per-instance', '50', '--max', '4', '--app', appId];
  });

  afterEach(async () => {
    await broker.close();
    await marathon.close();
  });

  const puts = () => marathon.requests.filter((r) => r.method === 'PUT');

  it('scales a fleet at 0 up on the ready messages of a passive declare', async () => {
    // GIVEN 120 messages waiting and the app at 0 instances
    await broker.publish(
      queue,
      Array.from({ length: 120 }, (_, i) => `m${i}`),
    );
    marathon.apps.set(appId, app(appId, 0));
    // WHEN the autoscaler evaluates once
    const exit = await runAutoscaler([...flags, '--marathon', marathon.url, '--once']);
    // THEN it sets ceil(120 / 50) = 3 instances with one unforced PUT, and says why in one line
    expect(exit.code).toBe(0);
    expect(puts()).toEqual([expect.objectContaining({ url: `/v2/apps${appId}`, body: { instances: 3 } })]);
    expect(marathon.apps.get(appId)?.instances).toBe(3);
    const lines = exit.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^workqueue-autoscaler: depth 120 \(passive declare: 120 ready\), current 0, desired 3: /);
    expect(lines[0]).toMatch(/ceil\(120\/50\) = 3; scaling Marathon app \/\S+ up$/);
  });

  it('scales a fleet down to zero when the queue is empty, Marathon from $MARATHON_URL', async () => {
    // GIVEN an empty queue and the app at 3 instances
    marathon.apps.set(appId, app(appId, 3));
    // WHEN the autoscaler evaluates once, with nothing remembered
    const exit = await runAutoscaler([...flags, '--once'], { MARATHON_URL: marathon.url });
    // THEN the app goes to 0
    expect(exit.code).toBe(0);
    expect(puts().map((r) => r.body)).toEqual([{ instances: 0 }]);
    expect(exit.stderr).toMatch(/depth 0 \(passive declare: 0 ready\), current 3, desired 0: .*; scaling .* down\n$/);
  });

  it('makes no call when the fleet already has the count the depth calls for', async () => {
    // GIVEN 60 messages and the app at 2 instances
    await broker.publish(
      queue,
      Array.from({ length: 60 }, (_, i) => `m${i}`),
    );
    marathon.apps.set(appId, app(appId, 2));
    // WHEN the autoscaler evaluates once
    const exit = await runAutoscaler([...flags, '--marathon', marathon.url, '--once']);
    // THEN nothing is put, and the line says so
    expect(exit.code).toBe(0);
    expect(puts()).toEqual([]);
    expect(exit.stderr).toMatch(/current 2, desired 2: .*; no change\n$/);
  });

  it('counts unacked messages too when the management API answers, and falls back when it does not', async () => {
    // GIVEN 120 messages, 30 of them delivered and not acked (90 ready), the app at 0
    await broker.publish(
      queue,
      Array.from({ length: 120 }, (_, i) => `m${i}`),
    );
    for (let i = 0; i < 30; i++) expect(await broker.channel.get(queue, { noAck: false })).not.toBe(false);
    await waitFor('the management API to count 30 unacked', async () => (await broker.unacked(queue)) === 30, 30_000);
    marathon.apps.set(appId, app(appId, 0));
    // WHEN the autoscaler evaluates once with the management API
    const managed = await runAutoscaler([
      ...flags,
      '--marathon',
      marathon.url,
      '--management',
      managementUrl(),
      '--once',
    ]);
    // THEN the depth is ready + unacked = 120: 3 instances (a passive declare would see 90: 2)
    expect(managed.code).toBe(0);
    expect(managed.stderr).toMatch(/depth 120 \(management API: 90 ready \+ 30 unacked\), current 0, desired 3/);
    expect(managed.stderr).not.toMatch(/guest:guest/);
    // WHEN the management API does not answer
    marathon.apps.set(appId, app(appId, 0));
    const port = await closedPort();
    const fallback = await runAutoscaler([
      ...flags,
      '--marathon',
      marathon.url,
      '--management',
      `http://127.0.0.1:${port}`,
      '--once',
    ]);
    // THEN the depth comes from a passive declare: the 90 ready messages, 2 instances
    expect(fallback.code).toBe(0);
    expect(fallback.stderr).toMatch(/depth 90 \(passive declare: 90 ready, the management API did not answer/);
    expect(fallback.stderr).toMatch(/current 0, desired 2/);
    expect(puts().map((r) => r.body)).toEqual([{ instances: 3 }, { instances: 2 }]);
  });

  it("reports Marathon's 401 in one line, exit 1, its password hidden", async () => {
    // GIVEN a Marathon that wants other credentials
    marathon.authorization = `Basic ${Buffer.from('admin:right-password').toString('base64')}`;
    marathon.apps.set(appId, app(appId, 0));
    // WHEN the autoscaler logs in with a wrong password
    const url = `http://admin:wrong-password@127.0.0.1:${marathon.port}`;
    const exit = await runAutoscaler([...flags, '--marathon', url, '--once']);
    // THEN one line names the 401 and what to check, without the password
    expectOneLineError(exit, 1, /reading \/\S+: Marathon answered 401 \(Invalid username or password\.\): check/);
    expect(exit.stderr).not.toContain('wrong-password');
    // WHEN the right password is given
    const ok = await runAutoscaler([...flags, '--marathon', url.replace('wrong', 'right'), '--once']);
    // THEN the same evaluation goes through
    expect(ok.code).toBe(0);
  });

  it("reports Marathon's 404 for an app it does not have", async () => {
    // GIVEN no such app on Marathon
    // WHEN the autoscaler evaluates once
    const exit = await runAutoscaler([...flags, '--marathon', marathon.url, '--once']);
    // THEN one line, exit 1, and no scaling call
    expectOneLineError(exit, 1, /reading \/\S+-worker: Marathon answered 404 \(App '\/\S+' does not exist\)/);
    expect(puts()).toEqual([]);
  });

  it('never forces a deployment that locks the app (409)', async () => {
    // GIVEN 120 messages and the app at 0, locked by a running deployment
    await broker.publish(
      queue,
      Array.from({ length: 120 }, (_, i) => `m${i}`),
    );
    marathon.apps.set(appId, app(appId, 0));
    marathon.locked.add(appId);
    // WHEN the autoscaler evaluates once
    const exit = await runAutoscaler([...flags, '--marathon', marathon.url, '--once']);
    // THEN its decision is logged, the unforced PUT is refused, and the error says to wait (no --force to suggest)
    expect(exit.code).toBe(1);
    const [decision, error, ...rest] = exit.stderr.trim().split('\n');
    expect(decision).toMatch(/current 0, desired 3: .*; scaling Marathon app \/\S+ up$/);
    expect(error).toMatch(
      /^workqueue-autoscaler: error: scaling \/\S+: Marathon answered 409 .*locked.*; wait for it$/,
    );
    expect(rest).toEqual([]);
    expect(puts().map((r) => r.url)).toEqual([`/v2/apps${appId}`]);
    expect(marathon.apps.get(appId)?.instances).toBe(0);
  });

  it('reports an unreachable Marathon in one line, exit 1', async () => {
    // GIVEN nothing listening where Marathon should be
    const port = await closedPort();
    // WHEN the autoscaler evaluates once
    const exit = await runAutoscaler([...flags, '--marathon', `http://127.0.0.1:${port}`, '--once']);
    // THEN one line says Marathon cannot be reached
    expectOneLineError(exit, 1, new RegExp(`cannot reach Marathon at http://127\\.0\\.0\\.1:${port}`));
  });

  it('keeps running when Marathon refuses, counts it, and scales at the next interval', async () => {
    // GIVEN 120 messages and the app at 0, locked by a deployment
    await broker.publish(
      queue,
      Array.from({ length: 120 }, (_, i) => `m${i}`),
    );
    marathon.apps.set(appId, app(appId, 0));
    marathon.locked.add(appId);
    // WHEN the autoscaler runs with a 1 s interval and health checks
    const args = [...flags, '--marathon', marathon.url, '--interval', '1', '--health-port', '0'];
    const autoscaler = new AutoscalerProcess(args);
    try {
      await autoscaler.waitForLog(/health checks on http:\/\/0\.0\.0\.0:(\d+)\/healthz/);
      const port = /0\.0\.0\.0:(\d+)\//.exec(autoscaler.stderr)![1];
      await autoscaler.waitForLog(/409.*; trying again in 1 s/);
      // THEN while the app is locked the controller is unhealthy and counts platform errors
      const locked = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(locked.status).toBe(503);
      // WHEN the deployment finishes
      marathon.locked.delete(appId);
      // THEN a later evaluation scales the app up, and the controller is healthy again
      await waitFor('the app to be scaled', () => marathon.apps.get(appId)?.instances === 3, 30_000);
      await waitFor('/healthz to answer 200', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 10_000);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const q = `queue="${queue}"`;
      expect(metrics).toMatch(new RegExp(`workqueue_autoscaler_errors_total\\{stage="platform",${q}\\} [1-9]`));
      expect(metrics).toContain(`workqueue_autoscaler_errors_total{stage="depth",${q}} 0`);
      expect(metrics).toContain(`workqueue_autoscaler_scaling_calls_total{direction="up",${q}} 1`);
      expect(metrics).toContain(`workqueue_autoscaler_queue_depth{${q}} 120`);
      expect(metrics).toContain(`workqueue_autoscaler_desired_replicas{${q}} 3`);
      expect(metrics).toMatch(new RegExp(`workqueue_autoscaler_current_replicas\\{${q}\\} [03]`));
    } finally {
      autoscaler.child.kill('SIGTERM');
    }
    // THEN SIGTERM stops it with status 0
    expect((await autoscaler.finish(10_000)).code).toBe(0);
  });

  it('shows help with every flag and examples', async () => {
    // WHEN -h or --help is given
    for (const flag of ['-h', '--help']) {
      const exit = await runAutoscaler([flag]);
      // THEN the help names every flag and shows examples
      expect(exit.code).toBe(0);
      expect(exit.stdout).toMatch(/^Usage: workqueue-autoscaler /);
      expect(exit.stdout).toMatch(/Examples:\n\s+#/);
      const names = ['--url', '--queue', '--interval', '--management', '--messages-per-instance', '--min', '--max'];
      const more = ['--activation', '--cooldown', '--stabilization', '--marathon', '--app', '--swarm-service'];
      for (const name of [...names, ...more, '--once', '--health-port']) expect(exit.stdout).toContain(name);
    }
  });

  it.each([
    [['--frobnicate'], /unknown option '--frobnicate' \(see workqueue-autoscaler --help\)/],
    [['-q', 'jobs', '--max', '4', '--app', 'w'], /missing --messages-per-instance/],
    [['-q', 'jobs', '--messages-per-instance', '0', '--max', '4', '--app', 'w'], /must be a number greater than 0/],
    [['-q', 'jobs', '--messages-per-instance', '50', '--max', '4'], /no fleet to scale: give --marathon URL --app ID/],
    [['-q', 'jobs', '--messages-per-instance', '50', '--min', '3', '--max', '2', '--app', 'w'], /--max must be a/],
    [['-q', 'jobs', '--messages-per-instance', 'x', '--max', '2', '--app', 'w'], /needs a number, not 'x'/],
    [['-q', 'jobs', '--messages-per-instance', '5', '--max', '2', '--app', 'w', '--swarm-service', 's'], /not both/],
    [['-q', 'jobs', '--messages-per-instance', '5', '--max', '2', '--app', 'w', '--interval', '0'], /--interval must/],
    [['-q', 'jobs', '--messages-per-instance', '5', '--max', '2', '--app', 'w?force=true'], /--app must be/],
    [['-q', 'jobs', '--messages-per-instance', '5', '--max', '2', '--app', 'w', '-u', 'http://x'], /--url must start/],
    [['-q', 'jobs', '--messages-per-instance', '5', '--max', '2', '--app', 'w', '--marathon', 'nope'], /--marathon is/],
    [
      ['-q', 'jobs', '--messages-per-instance', '5', '--max', '2', '--app', 'w', '--marathon', 'ftp://m:1'],
      /--marathon/,
    ],
    [['-q', 'jobs', '--messages-per-instance', '5', '--max', '2', '--app', 'w', '--management', 'ftp://m'], /http/],
  ])('refuses bad flags in one line, exit 2: %j', async (args, pattern) => {
    // WHEN the autoscaler is started with bad flags
    const exit = await runAutoscaler(args, { MARATHON_URL: 'http://127.0.0.1:1' });
    // THEN one line says what is wrong, status 2, and nothing was called
    expectOneLineError(exit, 2, pattern);
    expect(marathon.requests).toEqual([]);
  });
});
