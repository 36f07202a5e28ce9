import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';

const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
/** A node with the management plugin listens for it on its AMQP port + this. */
const MANAGEMENT_OFFSET = 20_000;

export interface PrivateBrokerOptions {
  /** Run the management plugin too, on 127.0.0.1 (managementUrl), e.g. to set policies. @default false */
  readonly management?: boolean;
  /** The Erlang node name, e.g. for the nodes of a cluster that list each other. @default `wqtest${port}@localhost` */
  readonly nodeName?: string;
}

/** A RabbitMQ node of the test's own: its own AMQP and distribution ports and data directory. */
export class PrivateBroker {
  readonly url: string;
  private child?: ChildProcess;

  constructor(
    readonly port: number,
    readonly dataDir = mkdtempSync(join(tmpdir(), 'wq-rabbit-')),
    /** rabbitmq.conf lines added after the node's own listener settings. */
    private readonly extraConf = '',
    private readonly options: PrivateBrokerOptions = {},
  ) {
    this.url = `amqp://guest:guest@127.0.0.1:${port}`;
  }

  /** The Erlang node name (HOME, the data directory, holds its cookie). */
  get nodeName(): string {
    return this.options.nodeName ?? `wqtest${this.port}@localhost`;
  }

  /** The management API's base URL (with the management option). */
  get managementUrl(): string {
    return `http://guest:guest@127.0.0.1:${this.port + MANAGEMENT_OFFSET}`;
  }

  static installed(): boolean {
    return existsSync(SERVER);
  }

  /** Starts the node (same data directory on every start, so durable queues survive) and waits until AMQP answers. */
  async start(timeoutMs = 90_000, readyUrl = this.url): Promise<void> {
    const dir = this.dataDir;
    mkdirSync(join(dir, 'log'), { recursive: true });
    const management = this.options.management
      ? `management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = ${this.port + MANAGEMENT_OFFSET}\n`
      : '';
    const conf =
      `listeners.tcp.default = 127.0.0.1:${this.port}\nloopback_users = none\n` + management + this.extraConf;
    writeFileSync(join(dir, 'rabbitmq.conf'), conf);
    writeFileSync(join(dir, 'enabled_plugins'), this.options.management ? '[rabbitmq_management].\n' : '[].\n');
    this.child = spawn(SERVER, [], {
      stdio: 'ignore',
      env: {
        ...process.env,
        HOME: dir,
        RABBITMQ_NODENAME: this.nodeName,
        RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
        RABBITMQ_NODE_PORT: String(this.port),
        RABBITMQ_DIST_PORT: String(this.port + 10_000),
        RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
        RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dir, 'log'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
        RABBITMQ_PID_FILE: join(dir, 'rabbit.pid'),
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null)
        throw new Error(
          `private rabbitmq-server on port ${this.port} exited with ${this.child.exitCode}; see ${dir}/log`,
        );
      if (await answers(readyUrl)) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(
      `private rabbitmq-server on port ${this.port} did not answer within ${timeoutMs / 1000} s; see ${dir}/log`,
    );
  }

  /** Stops the node and waits for it to exit; the data directory stays for a restart. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** True when an AMQP connection to `url` opens. */
export async function answers(url: string): Promise<boolean> {
  try {
    const connection = await amqp.connect(url, { timeout: 2_000 });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}
