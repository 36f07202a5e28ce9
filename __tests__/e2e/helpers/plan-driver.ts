import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * STANDS IN FOR `terraform apply`, which cannot be installed here. It reads a synthesized
 * cdk.tf.json and does with the Docker CLI what the kreuzwerker/docker and hashicorp/random
 * providers would do for random_password, docker_image, docker_network, docker_volume,
 * docker_container and docker_service, taking every value (image, command, env, health check,
 * restart policy, replicas...) from the JSON, so that what the e2e tests prove is the
 * synthesized plan, not a second copy of it. Test-only additions (a host directory mounted, a
 * loopback port published) are explicit options. Health checks go through the CLI's
 * --health-cmd, which runs the plan's exec-form command through /bin/sh with each word quoted.
 */

type Json = Record<string, unknown>;
type Resources = Record<string, Record<string, Json>>;

export interface TestAdditions {
  /** Extra bind mounts for containers/services whose name matches. */
  readonly mounts?: readonly { readonly name: RegExp; readonly source: string; readonly target: string }[];
  /** Loopback ports published for containers/services whose name matches (for the test's own client). */
  readonly ports?: readonly { readonly name: RegExp; readonly internal: number; readonly external: number }[];
}

const ORDER = ['random_password', 'docker_image', 'docker_network', 'docker_volume', 'docker_container', 'docker_service'] as const;

export function docker(args: readonly string[], input?: string): string {
  return execFileSync('docker', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 }).trim();
}

/** Quotes one word for /bin/sh. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export class PlanDriver {
  private readonly resources: Resources;
  /** Attributes of applied resources, by "type.name". */
  private readonly state = new Map<string, Record<string, string>>();
  private readonly created: { kind: 'container' | 'service' | 'network' | 'volume'; name: string }[] = [];

  constructor(
    private readonly stackDir: string,
    private readonly additions: TestAdditions = {},
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.resources = (JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as { resource: Resources }).resource;
  }

  /** Raw resource blocks of one type, as synthesized. */
  blocks(type: string): Record<string, Json> {
    return this.resources[type] ?? {};
  }

  /** Applies the resources `select` accepts (all by default), in dependency order. */
  apply(select: (type: string, block: Json) => boolean = () => true): void {
    for (const type of ORDER) {
      for (const [name, block] of Object.entries(this.blocks(type))) {
        if (this.state.has(`${type}.${name}`) || !select(type, block)) continue;
        this.log(`apply ${type}.${name}`);
        this.state.set(`${type}.${name}`, this.create(type, block));
      }
    }
  }

  /** Value of an attribute of an applied resource. */
  attribute(ref: string): string {
    const [type, name, attr] = ref.split('.');
    const value = this.state.get(`${type}.${name}`)?.[attr];
    if (value === undefined) throw new Error(`plan driver: ${ref} is not known (apply ${type}.${name} first)`);
    return value;
  }

  /** Removes everything this driver created, newest first; never throws (teardown). */
  destroy(): void {
    for (const item of this.created.splice(0).reverse()) {
      try {
        if (item.kind === 'container') docker(['rm', '-f', item.name]);
        if (item.kind === 'service') {
          docker(['service', 'rm', item.name]);
          // Tasks stop within their grace period; their network and volume stay busy until then.
          this.retry(() => {
            if (docker(['ps', '-aq', '--filter', `label=com.docker.swarm.service.name=${item.name}`])) throw new Error(`tasks of ${item.name} still there`);
          }, 120);
        }
        if (item.kind === 'network') this.retry(() => docker(['network', 'rm', item.name]));
        if (item.kind === 'volume') this.retry(() => docker(['volume', 'rm', '-f', item.name]));
      } catch (err) {
        this.log(`teardown of ${item.kind} ${item.name}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  }

  private retry(step: () => void, attempts = 30): void {
    // Swarm removes service tasks asynchronously; their network and volume stay busy for a moment.
    for (let i = 0; ; i++) {
      try {
        step();
        return;
      } catch (err) {
        if (i >= attempts) throw err;
        execFileSync('sleep', ['1']);
      }
    }
  }

  private resolve<T>(value: T, index?: number): T {
    if (typeof value === 'string') {
      return value.replace(/\$\{([^}]+)\}/g, (_m, ref: string) => {
        if (ref === 'count.index') {
          if (index === undefined) throw new Error('plan driver: count.index outside a counted resource');
          return String(index);
        }
        return this.attribute(ref);
      }) as T;
    }
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, index)) as T;
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).filter(([k]) => k !== '//').map(([k, v]) => [k, this.resolve(v, index)])) as T;
    }
    return value;
  }

  private create(type: string, raw: Json): Record<string, string> {
    switch (type) {
      case 'random_password': {
        // What hashicorp/random makes of { length, special: false }: letters and digits.
        const length = Number(raw.length ?? 16);
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
        const result = [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
        return { result };
      }
      case 'docker_image':
        return this.image(this.resolve(raw));
      case 'docker_network': {
        const b = this.resolve(raw);
        const name = String(b.name);
        const args = ['network', 'create'];
        if (b.driver) args.push('--driver', String(b.driver));
        if (b.attachable) args.push('--attachable');
        if (b.internal) args.push('--internal');
        const id = docker([...args, name]);
        this.created.push({ kind: 'network', name });
        return { id, name };
      }
      case 'docker_volume': {
        const name = String(this.resolve(raw).name);
        docker(['volume', 'create', name]);
        this.created.push({ kind: 'volume', name });
        return { id: name, name };
      }
      case 'docker_container': {
        const count = raw.count === undefined ? undefined : Number(raw.count);
        const names: string[] = [];
        for (let i = 0; i < (count ?? 1); i++) names.push(this.container(this.resolve(raw, count === undefined ? undefined : i)));
        return { name: names.join(',') };
      }
      case 'docker_service':
        return { name: this.service(this.resolve(raw)) };
      default:
        throw new Error(`plan driver: resource type ${type} is not supported`);
    }
  }

  private image(b: Json): Record<string, string> {
    const build = b.build as { context: string; build_args?: Record<string, string>; dockerfile?: string };
    const args = ['build', '-q', '-t', String(b.name)];
    for (const [k, v] of Object.entries(build.build_args ?? {})) args.push('--build-arg', `${k}=${v}`);
    if (build.dockerfile) args.push('-f', join(this.stackDir, build.context, build.dockerfile));
    docker([...args, join(this.stackDir, build.context)]);
    return { image_id: docker(['image', 'inspect', '-f', '{{.Id}}', String(b.name)]), name: String(b.name) };
  }

  private healthFlags(h: Json | undefined): string[] {
    if (!h) return [];
    const test = h.test as string[];
    const command = test[0] === 'CMD' ? test.slice(1).map(shellQuote).join(' ') : test[0] === 'CMD-SHELL' ? test[1] : undefined;
    if (command === undefined) return ['--no-healthcheck'];
    const flags = ['--health-cmd', command];
    if (h.interval) flags.push('--health-interval', String(h.interval));
    if (h.timeout) flags.push('--health-timeout', String(h.timeout));
    if (h.retries !== undefined) flags.push('--health-retries', String(h.retries));
    if (h.start_period) flags.push('--health-start-period', String(h.start_period));
    return flags;
  }

  private container(b: Json): string {
    const name = String(b.name);
    const args = ['run', '-d', '--name', name];
    if (b.hostname) args.push('--hostname', String(b.hostname));
    if (b.init) args.push('--init');
    if (b.restart) args.push('--restart', String(b.restart));
    if (b.stop_signal) args.push('--stop-signal', String(b.stop_signal));
    if (b.stop_timeout !== undefined) args.push('--stop-timeout', String(b.stop_timeout));
    if (b.cpus) args.push('--cpus', String(b.cpus));
    if (b.memory) args.push('--memory', `${b.memory}m`);
    for (const e of (b.env as string[] | undefined) ?? []) args.push('--env', e);
    args.push(...this.healthFlags(b.healthcheck as Json | undefined));
    const networks = (b.networks_advanced as { name: string; aliases?: string[] }[] | undefined) ?? [];
    if (networks[0]) {
      args.push('--network', networks[0].name);
      for (const a of networks[0].aliases ?? []) args.push('--network-alias', a);
    }
    for (const v of (b.volumes as { volume_name?: string; host_path?: string; container_path: string; read_only?: boolean }[] | undefined) ?? []) {
      args.push('--volume', `${v.volume_name ?? v.host_path}:${v.container_path}${v.read_only ? ':ro' : ''}`);
    }
    for (const p of (b.ports as { internal: number; external?: number; ip?: string }[] | undefined) ?? []) {
      args.push('--publish', `${p.ip ?? '0.0.0.0'}:${p.external ?? ''}:${p.internal}`);
    }
    for (const m of this.additions.mounts ?? []) if (m.name.test(name)) args.push('--volume', `${m.source}:${m.target}`);
    for (const p of this.additions.ports ?? []) if (p.name.test(name)) args.push('--publish', `127.0.0.1:${p.external}:${p.internal}`);
    args.push(String(b.image), ...((b.command as string[] | undefined) ?? []));
    docker(args);
    this.created.push({ kind: 'container', name });
    return name;
  }

  private service(b: Json): string {
    const name = String(b.name);
    const task = b.task_spec as Json;
    const spec = task.container_spec as Json;
    const args = ['service', 'create', '-d', '--no-resolve-image', '--name', name];
    const mode = b.mode as { replicated?: { replicas?: number } } | undefined;
    if (mode?.replicated) args.push('--replicas', String(mode.replicated.replicas ?? 1));
    if (spec.hostname) args.push('--hostname', String(spec.hostname));
    for (const [k, v] of Object.entries((spec.env as Record<string, string> | undefined) ?? {})) args.push('--env', `${k}=${v}`);
    if (spec.stop_signal) args.push('--stop-signal', String(spec.stop_signal));
    if (spec.stop_grace_period) args.push('--stop-grace-period', String(spec.stop_grace_period));
    args.push(...this.healthFlags(spec.healthcheck as Json | undefined));
    for (const m of (spec.mounts as { target: string; source?: string; type: string; read_only?: boolean }[] | undefined) ?? []) {
      args.push('--mount', `type=${m.type},target=${m.target}${m.source ? `,source=${m.source}` : ''}${m.read_only ? ',readonly' : ''}`);
    }
    for (const n of (task.networks_advanced as { name: string; aliases?: string[] }[] | undefined) ?? []) {
      args.push('--network', [`name=${n.name}`, ...(n.aliases ?? []).map((a) => `alias=${a}`)].join(','));
    }
    const limits = (task.resources as { limits?: { nano_cpus?: number; memory_bytes?: number } } | undefined)?.limits;
    if (limits?.nano_cpus) args.push('--limit-cpu', String(limits.nano_cpus / 1e9));
    if (limits?.memory_bytes) args.push('--limit-memory', String(limits.memory_bytes));
    const restart = task.restart_policy as { condition?: string; delay?: string; window?: string; max_attempts?: number } | undefined;
    if (restart?.condition) args.push('--restart-condition', restart.condition);
    if (restart?.delay) args.push('--restart-delay', restart.delay);
    if (restart?.window) args.push('--restart-window', restart.window);
    if (restart?.max_attempts !== undefined) args.push('--restart-max-attempts', String(restart.max_attempts));
    for (const [prefix, config] of [['update', b.update_config], ['rollback', b.rollback_config]] as const) {
      const c = config as { parallelism?: number; delay?: string; order?: string; failure_action?: string; monitor?: string } | undefined;
      if (!c) continue;
      if (c.parallelism !== undefined) args.push(`--${prefix}-parallelism`, String(c.parallelism));
      if (c.delay) args.push(`--${prefix}-delay`, c.delay);
      if (c.order) args.push(`--${prefix}-order`, c.order);
      if (c.failure_action) args.push(`--${prefix}-failure-action`, c.failure_action);
      if (c.monitor) args.push(`--${prefix}-monitor`, c.monitor);
    }
    for (const p of ((b.endpoint_spec as { ports?: { target_port: number; published_port?: number; protocol?: string }[] } | undefined)?.ports ?? [])) {
      args.push('--publish', `target=${p.target_port}${p.published_port ? `,published=${p.published_port}` : ''},protocol=${p.protocol ?? 'tcp'}`);
    }
    for (const m of this.additions.mounts ?? []) if (m.name.test(name)) args.push('--mount', `type=bind,source=${m.source},target=${m.target}`);
    for (const p of this.additions.ports ?? []) if (p.name.test(name)) args.push('--publish', `mode=host,target=${p.internal},published=${p.external}`);
    args.push(String(spec.image), ...((spec.args as string[] | undefined) ?? []));
    docker(args);
    this.created.push({ kind: 'service', name });
    return name;
  }
}
