import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { TcpProxy, viaProxy } from './helpers/tcp-proxy';
import { waitFor } from './helpers/wait-for';
import { WorkerProcess } from './helpers/worker-process';

const status = (port: number) => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status);

describe('workqueue-worker when the broker link breaks', () => {
  let broker: TestBroker;
  let proxy: TcpProxy;
  let dir: string;
  beforeEach(async () => {
    broker = await TestBroker.open();
    const target = new URL(brokerUrl());
    proxy = new TcpProxy(target.hostname, Number(target.port || 5672));
    await proxy.listen();
    dir = mkdtempSync(join(tmpdir(), 'wq-reconnect-'));
  });
  afterEach(async () => {
    await proxy.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reconnects by itself, loses nothing, and reports health and metrics', async () => {
    // GIVEN 300 messages and a worker connected through a proxy the test controls
    const queue = uniqueQueue('reconnect');
    await broker.declare(queue);
    for (let i = 0; i < 300; i++) await broker.publish(queue, [`body ${i}`], { messageId: `msg-${i}` });
    const worker = new WorkerProcess([
      '-u',
      viaProxy(brokerUrl(), proxy),
      '-q',
      queue,
      '--concurrency',
      '2',
      '--health-port',
      '0',
      '--',
      'sh',
      '-c',
      'cat >> "$0/$WQ_MESSAGE_ID"; sleep 0.01',
      dir,
    ]);
    await worker.waitForLog(/health checks on http:\/\/0\.0\.0\.0:\d+/);
    const port = Number(/health checks on http:\/\/0\.0\.0\.0:(\d+)/.exec(worker.stderr)![1]);
    await worker.waitForLog(/consuming/);
    expect(await status(port)).toBe(200);

    // WHEN the link is cut three times mid-run, once while the broker looks down for 2 s
    for (let cut = 0; cut < 3; cut++) {
      await waitFor(
        `progress before cut ${cut + 1}`,
        async () => readdirSync(dir).length >= (cut + 1) * 60,
        30_000,
        100,
      );
      if (cut === 1) proxy.refuse(true);
      proxy.cut();
      if (cut === 1) {
        await waitFor('healthz to report 503', async () => (await status(port)) === 503, 30_000, 100);
        await new Promise((r) => setTimeout(r, 2_000));
        proxy.refuse(false);
      }
      await waitFor('healthz to report 200 again', async () => (await status(port)) === 200, 30_000, 100);
    }

    // THEN every message was processed at least once, and none is left or dead-lettered
    await waitFor(
      'all 300 messages',
      async () => readdirSync(dir).length === 300 && (await broker.count(queue)) === 0,
      30_000,
      100,
    );
    expect(await broker.count(`${queue}.dlq`)).toBe(0);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    expect(Number(/^workqueue_reconnects_total\{[^}]*\} (\d+)/m.exec(metrics)![1])).toBeGreaterThanOrEqual(3);
    expect(Number(/^workqueue_messages_succeeded_total\{[^}]*\} (\d+)/m.exec(metrics)![1])).toBeGreaterThanOrEqual(270);
    expect(metrics).toMatch(/^workqueue_processing_seconds_bucket\{/m);
    expect(metrics).toMatch(/^workqueue_messages_in_flight\{/m);
    expect(metrics).toMatch(/^workqueue_messages_dead_lettered_total\{/m);
    expect(metrics).not.toMatch(/guest|password/);
    expect(worker.stderr).toMatch(/lost the broker link .*; reconnecting/);
    worker.child.kill('SIGTERM');
    expect((await worker.finish()).code).toBe(0);
  });
});
