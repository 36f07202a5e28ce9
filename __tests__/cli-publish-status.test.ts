import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { runCli } from './helpers/cli-process';

describe('workqueue publish and status against a real broker', () => {
  let broker: TestBroker;
  let queue: string;
  const cwd = mkdtempSync(join(tmpdir(), 'wq-cli-pub-'));
  beforeEach(async () => {
    broker = await TestBroker.open();
    queue = uniqueQueue('cli');
    await broker.declare(queue);
  });
  afterEach(() => broker.close());
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('publishes one persistent message per line of stdin, confirmed, and shows the rate', async () => {
    const exit = await runCli(['publish', '-q', queue], { cwd, env: { AMQP_URL: brokerUrl() }, input: 'alpha\nbeta\ngamma\n' });
    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(/published 3 message\(s\) to '.*', all confirmed \(\d+ msg\/s\)/);
    const messages = await broker.drain(queue);
    expect(messages.map((m) => m.body.toString())).toEqual(['alpha', 'beta', 'gamma']);
    expect(messages.every((m) => m.properties.deliveryMode === 2)).toBe(true);
    // each with an id of its own, for idempotent programs
    const ids = messages.map((m) => m.properties.messageId);
    expect(ids.every((id) => /^[0-9a-f-]{36}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(3);
  });

  it('publishes each FILE as one message, byte for byte', async () => {
    const a = join(cwd, 'a.bin');
    writeFileSync(a, Buffer.from([0, 1, 10, 255]));
    const b = join(cwd, 'b.txt');
    writeFileSync(b, 'two\nlines\n');
    const exit = await runCli(['publish', '-q', queue, '-u', brokerUrl(), a, b], { cwd });
    expect(exit.code).toBe(0);
    const bodies = (await broker.drain(queue)).map((m) => m.body);
    expect(bodies.map((x) => x.toString('hex'))).toEqual([Buffer.from([0, 1, 10, 255]).toString('hex'), Buffer.from('two\nlines\n').toString('hex')]);
  });

  it('fails, naming the queue, when no queue takes the messages', async () => {
    const exit = await runCli(['publish', '-q', `${queue}-missing`, '-u', brokerUrl()], { cwd, input: 'x\n' });
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/1 of 1 message\(s\) came back unrouted: queue '.*-missing' does not exist/);
  });

  it('shows ready, dead-lettered and consumer counts of a queue', async () => {
    await broker.publish(queue, ['1', '2', '3']);
    await broker.declare(`${queue}.dlq`);
    await broker.publish(`${queue}.dlq`, ['dead']);
    const exit = await runCli(['status', '-q', queue, '-u', brokerUrl(), '--management', 'http://127.0.0.1:1'], { cwd });
    expect(exit.code).toBe(0);
    const [header, row] = exit.stdout.trim().split('\n').map((l) => l.split(/\s+/));
    expect(header).toEqual(['QUEUE', 'READY', 'UNACKED', 'DEAD-LETTERED', 'CONSUMERS']);
    expect(row).toEqual([queue, '3', '-', '1', '0']);
  });

  it('prints help with examples for every command', async () => {
    for (const command of ['deploy', 'scale', 'publish', 'status']) {
      const exit = await runCli([command, '--help'], { cwd });
      expect(exit.code).toBe(0);
      expect(exit.stdout).toMatch(new RegExp(`^Usage: workqueue ${command} `));
      expect(exit.stdout).toMatch(/Examples:\n\s+\S/);
    }
    const top = await runCli(['--help'], { cwd });
    expect(top.stdout).toMatch(/^Usage: workqueue COMMAND/);
  });
});
