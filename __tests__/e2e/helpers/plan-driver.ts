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

/**
 * The attributes this driver honours, per resource type, as dot paths (`*`: any key of a map).
 * A plan that sets anything else makes it throw: an attribute silently skipped would let a test
 * pass for a plan that Terraform would apply differently.
 */
const HONOURED: Readonly<Record<string, readonly string[]>> = {
  random_password: ['length', 'special', 'upper', 'lower', 'numeric', 'override_special'],
  docker_image: ['name', 'build.context', 'build.dockerfile', 'build.build_args.*', 'keep_locally', 'triggers.*'],
  docker_network: ['name', 'driver', 'attachable', 'internal'],
  docker_volume: ['name'],
  docker_container: [
    'name',
    'image',
    'command',
    'hostname',
    'env',
    'init',
    'restart',
    'must_run',
    'destroy_grace_seconds',
    'stop_signal',
    'stop_timeout',
    'cpus',
    'memory',
    'healthcheck.test',
    'healthcheck.interval',
    'healthcheck.timeout',
    'healthcheck.retries',
    'healthcheck.start_period',
    'networks_advanced.name',
    'networks_advanced.aliases',
    'volumes.volume_name',
    'volumes.host_path',
    'volumes.container_path',
    'volumes.read_only',
    'ports.internal',
    'ports.external',
    'ports.ip',
    'ports.protocol',
  ],
  docker_service: [
    'name',
    'mode.replicated.replicas',
    'task_spec.container_spec.image',
    'task_spec.container_spec.command',
    'task_spec.container_spec.args',
    'task_spec.container_spec.user',
    'task_spec.container_spec.hostname',
    'task_spec.container_spec.env.*',
    'task_spec.container_spec.stop_signal',
    'task_spec.container_spec.stop_grace_period',
    'task_spec.container_spec.healthcheck.test',
    'task_spec.container_spec.healthcheck.interval',
    'task_spec.container_spec.healthcheck.timeout',
    'task_spec.container_spec.healthcheck.retries',
    'task_spec.container_spec.healthcheck.start_period',
    'task_spec.container_spec.mounts.type',
    'task_spec.container_spec.mounts.source',
    'task_spec.container_spec.mounts.target',
    'task_spec.container_spec.mounts.read_only',
    'task_spec.networks_advanced.name',
    'task_spec.networks_advanced.aliases',
    'task_spec.placement.constraints',
    'task_spec.resources.limits.nano_cpus',
    'task_spec.resources.limits.memory_bytes',
    'task_spec.restart_policy.condition',
    'task_spec.restart_policy.delay',
    'task_spec.restart_policy.window',
    'task_spec.restart_policy.max_attempts',
    ...['update_config', 'rollback_config'].flatMap((c) =>
      ['parallelism', 'delay', 'order', 'failure_action', 'monitor'].map((k) => `${c}.${k}`),
    ),
    'endpoint_spec.mode',
    'endpoint_spec.ports.target_port',
    'endpoint_spec.ports.published_port',
    'endpoint_spec.ports.protocol',
    'endpoint_spec.ports.publish_mode',
  ],
};
/** Terraform's own meta-arguments (and cdktf's comment key), handled for every type. */
const META_ARGUMENTS = new Set(['//', 'count', 'depends_on', 'lifecycle']);
/** The one lifecycle rule the driver honours: a service's replicas left to whoever scales it. */
const IGNORED_REPLICAS = 'mode[0].replicated[0].replicas';

/** Throws for the first attribute of `block` that HONOURED does not list for `type`. */
export function checkHonoured(type: string, block: Json): void {
  const allowed = HONOURED[type];
  if (!allowed) throw new Error(`plan driver: resource type ${type} is not supported`);
  const covered = (path: string) =>
    allowed.some(
      (a) => a === path || a.startsWith(`${path}.`) || (a.endsWith('.*') && path.startsWith(a.slice(0, -1))),
    );
  const walk = (value: unknown, path: string): void => {
    if (!covered(path))
      throw new Error(`plan driver: ${type} attribute '${path}' is not implemented; implement it here`);
    if (allowed.includes(path) || allowed.some((a) => a.endsWith('.*') && path.startsWith(a.slice(0, -1)))) return;
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item && typeof item === 'object') for (const [k, v] of Object.entries(item)) walk(v, `${path}.${k}`);
    }
  };
  for (const [key, value] of Object.entries(block)) if (!META_ARGUMENTS.has(key)) walk(value, key);
  const lifecycle = block.lifecycle as { ignore_changes?: string[] } | undefined;
  if (
    lifecycle &&
    (type !== 'docker_service' || JSON.stringify(lifecycle) !== JSON.stringify({ ignore_changes: [IGNORED_REPLICAS] }))
  )
    throw new Error(`plan driver: ${type} lifecycle ${JSON.stringify(lifecycle)} is not implemented`);
}

export interface TestAdditions {
  /** Extra bind mounts for containers/services whose name matches. */
  readonly mounts?: readonly { readonly name: RegExp; readonly source: string; readonly target: string }[];
  /** Loopback ports published for containers/services whose name matches (for the test's own client). */
  readonly ports?: readonly { readonly name: RegExp; readonly internal: number; readonly external: number }[];
}

/** The random_password of the broker's administrator (the test's own client logs in as it). */
export function adminPasswordResource(driver: PlanDriver): string {
  const found = Object.entries(driver.blocks('random_password')).find(([, b]) =>
    /\/broker\/password$/.test(String((b['//'] as { metadata?: { path?: string } } | undefined)?.metadata?.path)),
  );
  if (!found) throw new Error('plan driver: the plan has no random_password at .../broker/password');
  return found[0];
}

export function docker(args: readonly string[], input?: string): string {
  return execFileSync('docker', args, {
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  }).trim();
}

/** Quotes one word for /bin/sh. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** An index no counted resource has: fingerprints keep ${count.index} as it is. */
const COUNT_INDEX_KEPT = -1;

/** Terraform's urlencode (Go's QueryEscape): all but letters, digits and -_.~ escaped, space as +. */
function terraformUrlencode(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** Splits a function's argument list at top-level commas (not inside strings or calls). */
function splitArguments(list: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      args.push(list.slice(start, i));
      start = i + 1;
    }
  }
  args.push(list.slice(start));
  return args;
}

function readPlan(stackDir: string): Resources {
  return (JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as { resource: Resources }).resource;
}

export class PlanDriver {
  private resources: Resources;
  /** Attributes of applied resources, by "type.name". */
  private readonly state = new Map<string, Record<string, string>>();
  /** The blocks as last applied, by "type.name", to tell what a new plan changes. */
  private readonly applied = new Map<string, string>();
  private readonly created: {
    kind: 'container' | 'service' | 'network' | 'volume' | 'image';
    name: string;
    grace?: number;
  }[] = [];

  constructor(
    private stackDir: string,
    private readonly additions: TestAdditions = {},
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.resources = readPlan(stackDir);
  }

  /** Raw resource blocks of one type, as synthesized. */
  blocks(type: string): Record<string, Json> {
    return this.resources[type] ?? {};
  }

  /**
   * Applies the whole plan in one pass, as `terraform apply` does: each resource after the ones
   * it references (or names in depends_on), nothing waiting for another's health. Every block is
   * checked against HONOURED first, so nothing is applied from a plan the driver cannot honour.
   */
  apply(): void {
    for (const [type, blocks] of Object.entries(this.resources))
      for (const block of Object.values(blocks)) checkHonoured(type, block);
    for (const key of this.order()) {
      if (this.state.has(key)) continue;
      const [type, name] = key.split('.');
      this.log(`apply ${key}`);
      this.state.set(key, this.create(type, this.resources[type][name]));
      this.applied.set(key, this.fingerprint(this.resources[type][name]));
    }
  }

  /**
   * Applies a re-synthesized plan over what this driver applied, as a second `terraform apply`
   * would: new resources are created, docker_image builds again when it changed, docker_service
   * is updated in place (image, replicas, args, env, under its update_config). Any other change
   * throws: Terraform would replace the resource, which these tests do not exercise.
   */
  update(stackDir: string): void {
    this.stackDir = stackDir;
    this.resources = readPlan(stackDir);
    for (const [type, blocks] of Object.entries(this.resources))
      for (const block of Object.values(blocks)) checkHonoured(type, block);
    for (const key of this.order()) {
      const [type, name] = key.split('.');
      const block = this.resources[type][name];
      const before = this.applied.get(key);
      const now = this.fingerprint(block);
      if (before === now) continue;
      if (before === undefined) this.state.set(key, this.create(type, block));
      else if (type === 'docker_image') this.state.set(key, this.image(this.resolve(block)));
      else if (type === 'docker_service') this.updateService(JSON.parse(before) as Json, JSON.parse(now) as Json);
      else throw new Error(`plan driver: ${key} changed; replacing a ${type} is not implemented`);
      this.log(`${before === undefined ? 'apply' : 'update'} ${key}`);
      this.applied.set(key, now);
    }
  }

  /**
   * A block with its references filled in from the current state, as Terraform compares them: a
   * service whose image reference now names a new image has changed although its text has not.
   */
  private fingerprint(block: Json): string {
    return JSON.stringify(this.resolve(block, COUNT_INDEX_KEPT));
  }

  /**
   * One Terraform interpolation: a reference, count.index, a string literal, or one of the few
   * functions the constructs use. Anything else throws rather than being passed on unevaluated.
   */
  private evaluate(expr: string, index?: number): string {
    const e = expr.trim();
    const call = /^([a-z]+)\((.*)\)$/s.exec(e);
    if (call) {
      const args = splitArguments(call[2]).map((a) => this.evaluate(a, index));
      if (call[1] === 'urlencode' && args.length === 1) return terraformUrlencode(args[0]);
      if (call[1] === 'replace' && args.length === 3 && !args[1].startsWith('/'))
        return args[0].split(args[1]).join(args[2]);
      throw new Error(`plan driver: Terraform function call ${e} is not implemented`);
    }
    if (e.startsWith('"')) return JSON.parse(e) as string;
    if (e === 'count.index') {
      if (index === COUNT_INDEX_KEPT) return '${count.index}';
      if (index === undefined) throw new Error('plan driver: count.index outside a counted resource');
      return String(index);
    }
    return this.attribute(e);
  }

  /** "type.name" of every resource, each after those it depends on. */
  private order(): string[] {
    const deps = new Map<string, Set<string>>();
    for (const [type, blocks] of Object.entries(this.resources)) {
      for (const [name, block] of Object.entries(blocks)) {
        const text = JSON.stringify(block);
        const refs = new Set(
          [...text.matchAll(/\b((?:random_password|docker_[a-z_]+)\.[A-Za-z0-9_-]+)\./g)].map((m) => m[1]),
        );
        for (const d of (block.depends_on as string[] | undefined) ?? []) refs.add(d.replace(/^\$\{|\}$/g, ''));
        deps.set(`${type}.${name}`, refs);
      }
    }
    const done: string[] = [];
    const visit = (key: string, path: string[]) => {
      if (done.includes(key)) return;
      if (path.includes(key)) throw new Error(`plan driver: dependency cycle ${[...path, key].join(' -> ')}`);
      const refs = deps.get(key);
      if (!refs) throw new Error(`plan driver: ${path.at(-1)} refers to ${key}, which the plan does not have`);
      for (const d of refs) visit(d, [...path, key]);
      done.push(key);
    };
    for (const key of deps.keys()) visit(key, []);
    return done;
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
        if (item.kind === 'container') {
          // destroy_grace_seconds: the provider stops the container with that timeout before removing it.
          if (item.grace !== undefined) docker(['stop', '-t', String(item.grace), item.name]);
          docker(['rm', '-f', item.name]);
        }
        if (item.kind === 'image') docker(['rmi', item.name]);
        if (item.kind === 'service') {
          docker(['service', 'rm', item.name]);
          // Tasks stop within their grace period; their network and volume stay busy until then.
          this.retry(() => {
            if (docker(['ps', '-aq', '--filter', `label=com.docker.swarm.service.name=${item.name}`]))
              throw new Error(`tasks of ${item.name} still there`);
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
      return value.replace(/\$\{([^}]+)\}/g, (_m, expr: string) => this.evaluate(expr, index)) as T;
    }
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, index)) as T;
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([k]) => k !== '//')
          .map(([k, v]) => [k, this.resolve(v, index)]),
      ) as T;
    }
    return value;
  }

  private create(type: string, raw: Json): Record<string, string> {
    switch (type) {
      case 'random_password': {
        // hashicorp/random: length is required; upper, lower, numeric and special default to true,
        // and override_special replaces the provider's set of special characters.
        if (typeof raw.length !== 'number') throw new Error('plan driver: random_password needs a numeric length');
        const sets = [
          raw.upper !== false ? 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' : '',
          raw.lower !== false ? 'abcdefghijklmnopqrstuvwxyz' : '',
          raw.numeric !== false ? '0123456789' : '',
          raw.special !== false ? String(raw.override_special ?? '!@#$%&*()-_=+[]{}<>:?') : '',
        ];
        const alphabet = sets.join('');
        if (!alphabet) throw new Error('plan driver: random_password allows no characters');
        const result = [...randomBytes(raw.length)].map((b) => alphabet[b % alphabet.length]).join('');
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
        for (let i = 0; i < (count ?? 1); i++)
          names.push(this.container(this.resolve(raw, count === undefined ? undefined : i)));
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
    // keep_locally false (the provider's default): destroying the resource removes the image.
    if (b.keep_locally !== true) this.created.push({ kind: 'image', name: String(b.name) });
    return { image_id: docker(['image', 'inspect', '-f', '{{.Id}}', String(b.name)]), name: String(b.name) };
  }

  private healthFlags(h: Json | undefined): string[] {
    if (!h) return [];
    const test = h.test as string[];
    const command =
      test[0] === 'CMD' ? test.slice(1).map(shellQuote).join(' ') : test[0] === 'CMD-SHELL' ? test[1] : undefined;
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
    for (const v of (b.volumes as
      { volume_name?: string; host_path?: string; container_path: string; read_only?: boolean }[] | undefined) ?? []) {
      args.push('--volume', `${v.volume_name ?? v.host_path}:${v.container_path}${v.read_only ? ':ro' : ''}`);
    }
    for (const p of (b.ports as
      { internal: number; external?: number; ip?: string; protocol?: string }[] | undefined) ?? []) {
      // The provider's defaults: ip 0.0.0.0, protocol tcp.
      args.push('--publish', `${p.ip ?? '0.0.0.0'}:${p.external ?? ''}:${p.internal}/${p.protocol ?? 'tcp'}`);
    }
    for (const m of this.additions.mounts ?? [])
      if (m.name.test(name)) args.push('--volume', `${m.source}:${m.target}`);
    for (const p of this.additions.ports ?? [])
      if (p.name.test(name)) args.push('--publish', `127.0.0.1:${p.external}:${p.internal}`);
    args.push(String(b.image), ...((b.command as string[] | undefined) ?? []));
    docker(args);
    const grace = b.destroy_grace_seconds === undefined ? undefined : Number(b.destroy_grace_seconds);
    this.created.push({ kind: 'container', name, grace });
    for (const n of networks.slice(1))
      docker(['network', 'connect', ...(n.aliases ?? []).flatMap((a) => ['--alias', a]), n.name, name]);
    // must_run (default true): the provider fails the apply when the container is not running.
    if (b.must_run !== false && docker(['inspect', '-f', '{{.State.Running}}', name]) !== 'true') {
      throw new Error(`plan driver: container ${name} is not running after start (must_run)`);
    }
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
    // The provider's container_spec.command is the image's entrypoint replaced; args stay its arguments.
    const command = spec.command as string[] | undefined;
    if (command?.length) {
      if (command.length > 1) throw new Error(`plan driver: service ${name}: a command of several words`);
      args.push('--entrypoint', command[0]);
    }
    if (spec.user) args.push('--user', String(spec.user));
    const placement = task.placement as { constraints?: string[] } | undefined;
    for (const c of placement?.constraints ?? []) args.push('--constraint', c);
    for (const [k, v] of Object.entries((spec.env as Record<string, string> | undefined) ?? {}))
      args.push('--env', `${k}=${v}`);
    if (spec.stop_signal) args.push('--stop-signal', String(spec.stop_signal));
    if (spec.stop_grace_period) args.push('--stop-grace-period', String(spec.stop_grace_period));
    args.push(...this.healthFlags(spec.healthcheck as Json | undefined));
    for (const m of (spec.mounts as
      { target: string; source?: string; type: string; read_only?: boolean }[] | undefined) ?? []) {
      args.push(
        '--mount',
        `type=${m.type},target=${m.target}${m.source ? `,source=${m.source}` : ''}${m.read_only ? ',readonly' : ''}`,
      );
    }
    for (const n of (task.networks_advanced as { name: string; aliases?: string[] }[] | undefined) ?? []) {
      args.push('--network', [`name=${n.name}`, ...(n.aliases ?? []).map((a) => `alias=${a}`)].join(','));
    }
    const limits = (task.resources as { limits?: { nano_cpus?: number; memory_bytes?: number } } | undefined)?.limits;
    if (limits?.nano_cpus) args.push('--limit-cpu', String(limits.nano_cpus / 1e9));
    if (limits?.memory_bytes) args.push('--limit-memory', String(limits.memory_bytes));
    const restart = task.restart_policy as
      { condition?: string; delay?: string; window?: string; max_attempts?: number } | undefined;
    if (restart?.condition) args.push('--restart-condition', restart.condition);
    if (restart?.delay) args.push('--restart-delay', restart.delay);
    if (restart?.window) args.push('--restart-window', restart.window);
    if (restart?.max_attempts !== undefined) args.push('--restart-max-attempts', String(restart.max_attempts));
    for (const [prefix, config] of [
      ['update', b.update_config],
      ['rollback', b.rollback_config],
    ] as const) {
      const c = config as
        { parallelism?: number; delay?: string; order?: string; failure_action?: string; monitor?: string } | undefined;
      if (!c) continue;
      if (c.parallelism !== undefined) args.push(`--${prefix}-parallelism`, String(c.parallelism));
      if (c.delay) args.push(`--${prefix}-delay`, c.delay);
      if (c.order) args.push(`--${prefix}-order`, c.order);
      if (c.failure_action) args.push(`--${prefix}-failure-action`, c.failure_action);
      if (c.monitor) args.push(`--${prefix}-monitor`, c.monitor);
    }
    type ServicePort = { target_port: number; published_port?: number; protocol?: string; publish_mode?: string };
    const endpoint = b.endpoint_spec as { mode?: string; ports?: ServicePort[] } | undefined;
    // vip (Swarm's default) or dnsrr: the service name resolves to the tasks' own addresses.
    if (endpoint?.mode) args.push('--endpoint-mode', endpoint.mode);
    for (const p of endpoint?.ports ?? []) {
      const published = p.published_port ? `,published=${p.published_port}` : '';
      args.push(
        '--publish',
        `target=${p.target_port}${published},protocol=${p.protocol ?? 'tcp'},mode=${p.publish_mode ?? 'ingress'}`,
      );
    }
    for (const m of this.additions.mounts ?? [])
      if (m.name.test(name)) args.push('--mount', `type=bind,source=${m.source},target=${m.target}`);
    for (const p of this.additions.ports ?? [])
      if (p.name.test(name)) args.push('--publish', `mode=host,target=${p.internal},published=${p.external}`);
    args.push(String(spec.image), ...((spec.args as string[] | undefined) ?? []));
    docker(args);
    this.created.push({ kind: 'service', name });
    return name;
  }

  /** What the docker provider does for a changed docker_service: `docker service update`, in place. */
  private updateService(beforeRaw: Json, afterRaw: Json): void {
    const [before, after] = [this.resolve(beforeRaw), this.resolve(afterRaw)];
    const spec = (b: Json) => (b.task_spec as Json).container_spec as Json;
    const replicas = (b: Json) => (b.mode as { replicated?: { replicas?: number } } | undefined)?.replicated?.replicas;
    const rest = (b: Json) => {
      const { image: _i, args: _a, env: _e, ...others } = spec(b);
      return JSON.stringify([
        { ...b, mode: undefined, task_spec: { ...(b.task_spec as Json), container_spec: others } },
      ]);
    };
    if (rest(before) !== rest(after))
      throw new Error(`plan driver: service ${String(after.name)} changed beyond image, replicas, args and env`);
    const args = ['service', 'update', '-d', '--no-resolve-image'];
    if (spec(before).image !== spec(after).image) args.push('--image', String(spec(after).image));
    // checkHonoured let only this rule through.
    const ignored = (after.lifecycle as { ignore_changes?: string[] } | undefined)?.ignore_changes ?? [];
    if (replicas(before) !== replicas(after) && !ignored.includes(IGNORED_REPLICAS))
      args.push('--replicas', String(replicas(after) ?? 1));
    if (JSON.stringify(spec(before).args) !== JSON.stringify(spec(after).args)) {
      args.push('--args', ((spec(after).args as string[] | undefined) ?? []).map(shellQuote).join(' '));
    }
    const [envBefore, envAfter] = [before, after].map((b) => (spec(b).env as Record<string, string> | undefined) ?? {});
    for (const k of Object.keys(envBefore)) if (!(k in envAfter)) args.push('--env-rm', k);
    for (const [k, v] of Object.entries(envAfter)) if (envBefore[k] !== v) args.push('--env-add', `${k}=${v}`);
    docker([...args, String(after.name)]);
  }
}
