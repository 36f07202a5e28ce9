import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBroker, brokerUrl, managementUrl, uniqueQueue } from './helpers/amqp';
import { runCli } from './helpers/cli-process';

/** The rows of status's table, split at runs of spaces (no cell holds one). */
const rows = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => l.split(/\s+/));

/** The node name of the test broker, as its management API says it (rabbit@<host>). */
async function nodeName(): Promise<string> {
  const base = new URL(managementUrl());
  const auth = Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`);
  const response = await fetch(`${base.protocol}//${base.host}/api/overview`, {
    headers: { authorization: `Basic ${auth.toString('base64')}` },
  });
  return ((await response.json()) as { node: string }).node;
}

describe('workqueue status: leader and members of quorum queues', () => {
  let broker: TestBroker;
  let cwd: string;
  beforeEach(async () => {
    broker = await TestBroker.open();
    cwd = mkdtempSync(join(tmpdir(), 'wq-cli-status-members-'));
  });
  afterEach(async () => {
    await broker.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it("shows a quorum queue's leader and members from the management API, as table and JSON", async () => {
    // GIVEN a quorum queue and a classic queue on the test broker, which has its management API
    const quorum = uniqueQueue('status-quorum');
    const classic = uniqueQueue('status-classic');
    await broker.declare(quorum, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await broker.declare(classic, undefined, 'classic');
    const node = await nodeName();
    expect(node).toMatch(/^rabbit@/);
    // WHEN status runs for both, as a table and as JSON
    const args = ['status', '-q', quorum, '-q', classic, '-u', brokerUrl(), '--management', managementUrl()];
    const table = await runCli(args, { cwd });
    const json = await runCli([...args, '-o', 'json'], { cwd });
    // THEN the quorum queue shows its leader and its one member, the broker's node; the classic queue "-"
    expect(table.code).toBe(0);
    const [header, quorumRow, classicRow] = rows(table.stdout);
    expect(header).toEqual(['QUEUE', 'READY', 'UNACKED', 'DEAD-LETTERED', 'CONSUMERS', 'LEADER', 'MEMBERS']);
    expect(quorumRow[0]).toBe(quorum);
    expect(quorumRow.slice(5)).toEqual([node, node]);
    expect(classicRow[0]).toBe(classic);
    expect(classicRow.slice(5)).toEqual(['-', '-']);
    // AND in JSON: leader a node name, members and online lists of them, null for the classic queue
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { queues: Record<string, unknown>[] };
    expect(report.queues[0]).toMatchObject({ name: quorum, leader: node, members: [node], online: [node] });
    expect(report.queues[1]).toMatchObject({ name: classic, leader: null, members: null, online: null });
  });

  it("asks the first node of $AMQP_URL's list that answers", async () => {
    // GIVEN $AMQP_URL lists a node that is down, then the test broker, and a quorum queue on the broker
    const queue = uniqueQueue('status-list');
    await broker.declare(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const down = new URL(brokerUrl());
    down.port = '1';
    down.password = 'DownNodeSecret';
    // WHEN status runs with it and the broker's management API
    const exit = await runCli(['status', '-q', queue, '--management', managementUrl(), '-o', 'json'], {
      cwd,
      env: { AMQP_URL: `${down.toString()},${brokerUrl()}` },
    });
    // THEN it reports the queue, members included, from the node that answered
    expect(exit.code).toBe(0);
    const node = await nodeName();
    expect(JSON.parse(exit.stdout)).toMatchObject({
      queues: [{ name: queue, exists: true, leader: node, members: [node] }],
    });
    expect(exit.stderr).not.toContain('DownNodeSecret');
  });

  describe('with a three-node cluster (a management API stand-in answering as RabbitMQ 4 does)', () => {
    let server: Server;
    let port: number;
    const members = ['rabbit@broker-0', 'rabbit@broker-1', 'rabbit@broker-2'];
    beforeEach(async () => {
      server = createServer((_req, res) => {
        const queue = { type: 'quorum', messages_unacknowledged: 2, leader: 'rabbit@broker-1', members };
        const answer = { ...queue, online: ['rabbit@broker-0', 'rabbit@broker-1'] };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    afterEach(() => new Promise<void>((r) => server.close(() => r())));

    it('marks a member that is not running (offline)', async () => {
      // GIVEN a queue whose third member's node is down
      const queue = uniqueQueue('status-offline');
      await broker.declare(queue, undefined, 'classic');
      // WHEN status asks the stand-in
      const args = ['status', '-q', queue, '-u', brokerUrl(), '--management', `http://127.0.0.1:${port}`];
      const table = await runCli(args, { cwd });
      const json = await runCli([...args, '-o', 'json'], { cwd });
      // THEN the table lists all three members, the third marked, and JSON says which are online
      expect(table.code).toBe(0);
      expect(rows(table.stdout)[1].slice(2)).toEqual([
        '2',
        'missing',
        '0',
        'rabbit@broker-1',
        'rabbit@broker-0,rabbit@broker-1,rabbit@broker-2(offline)',
      ]);
      expect(JSON.parse(json.stdout)).toMatchObject({
        queues: [{ leader: 'rabbit@broker-1', members, online: ['rabbit@broker-0', 'rabbit@broker-1'] }],
      });
    });
  });
});
