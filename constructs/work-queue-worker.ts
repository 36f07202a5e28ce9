import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_SHUTDOWN_GRACE_SECONDS } from '../worker/consumer/options';
import {
  DEFAULT_MAX_RETRY_DELAY_SECONDS,
  DEFAULT_RETRY_BACKOFF,
  DEFAULT_RETRY_DELAY_SECONDS,
  type RetryDelays,
} from '../worker/consumer/retry-delays';
import { KILL_AFTER_MS } from '../worker/process/spawn-program';
import { Broker } from './broker';
import type { ContextEntry } from './build-context';
import { DockerImageBuild, imageReference } from './docker-image-build';
import { workerDetails, type WorkerDescription } from './descriptions';
import type { MarathonApp } from './marathon-app';
import { autoscalerBundle, imageFile, workerBundle, spawnHelperBinary } from './package-paths';
import { handlerEntries } from './handler-files';
import {
  ENV_NAME,
  checkCount,
  checkImage,
  checkMarathonName,
  checkNoControlChars,
  checkNoNul,
  checkPositive,
  checkQueueName,
  checkRegistry,
  checkRetryDelays,
  constructLabel,
  propError,
} from './prop-error';
import { checkSecret, checkUrlSecret } from './sensitive-value';
import { checkTarget, TARGETS, type Target } from './target';
import { claimName } from './unique-names';
import { workerArgs } from './worker-args';
import { COMPONENT_LABEL, QUEUE_LABEL } from './app-labels';
import { RENDERERS, rendererOf, type TargetRenderer } from './targets';
import { autoscalerName, resolveAutoscale, type Autoscale, type AutoscaleProps } from './autoscale';
import { checkPlacement, DEFAULT_NAMESPACE } from './placement';
import { monitorQueues } from './monitoring/stack-monitoring';

/** Port of the runtime's /healthz and /metrics inside the container. */
export const WORKER_HEALTH_PORT = 8080;
const PROCESS_MESSAGE = '/usr/local/bin/process-message';
/** Set by the construct itself: env and secretEnv may not name it. */
const BROKER_URL_VAR = 'AMQP_URL';
/**
 * Placeholders `workqueue deploy` fills from its flags before the environment: a secret by these names would
 * get them.
 */
const DEPLOY_FLAG_PLACEHOLDERS = ['TAG', 'BROKER', 'QUEUE'];
/** What `workqueue deploy` fills from the environment: `{{NAME}}`. */
const PLACEHOLDER_NAME = /^[A-Z_][A-Z0-9_]*$/;

export interface WorkQueueWorkerProps {
  /** Queue to consume. */
  readonly queue: string;
  /**
   * The broker: a Broker of this stack (every node of a cluster), or an amqp(s):// URL of another one, or
   * a comma-separated list of URLs, one per node of a cluster. A URL with a password must be a token of
   * a sensitive value, never a literal.
   */
  readonly broker: Broker | string;
  /** Fleet name: container/service name prefix and Marathon app id. @default `${queue}-worker` */
  readonly name?: string;
  /** Program run for each message (an argv, no shell). @default '/usr/local/bin/process-message' */
  readonly program?: string;
  /** Arguments of the program. @default ['/tmp'] for process-message, else [] */
  readonly args?: readonly string[];
  /** A file or directory (the user's handler) copied into /app in the image. @default - nothing copied */
  readonly handlerPath?: string;
  /** Extra Debian packages installed in the image, e.g. ['amqp-tools', 'curl']. @default [] */
  readonly packages?: readonly string[];
  /** Number of worker containers, replicas or Marathon instances; not with autoscale. @default 1 */
  readonly instances?: number;
  /**
   * Scale on the queue's depth instead of a fixed `instances` (KEDA's rule; on kubernetes a KEDA ScaledObject):
   * `{ min, max, messagesPerInstance }`, where min may be 0 (scale to zero).
   * @default - no autoscaling: `instances` instances
   */
  readonly autoscale?: AutoscaleProps;
  /** Programs running at once per instance. @default - the runtime's default, the container's CPUs */
  readonly concurrency?: number;
  /** Prefetch count. @default - the runtime's default, equal to concurrency */
  readonly prefetchCount?: number;
  /** Seconds a program may run; must stay below the broker's consumerTimeoutSeconds. @default - no limit */
  readonly timeoutSeconds?: number;
  /** Attempts before dead-lettering. @default the broker queue's maxAttempts, else 5 */
  readonly maxAttempts?: number;
  /**
   * Seconds before a failed message's first retry (--retry-delay); set it on the Broker's queue, which declares
   * the delay queues. @default the broker queue's retryDelaySeconds, else 0 (retry at once)
   */
  readonly retryDelaySeconds?: number;
  /** Factor between retry delays (--retry-backoff). @default the broker queue's retryBackoff, else 2 */
  readonly retryBackoff?: number;
  /** Longest retry delay (--max-retry-delay). @default the broker queue's maxRetryDelaySeconds, else 3600 */
  readonly maxRetryDelaySeconds?: number;
  /** Seconds running programs get to finish on shutdown. @default 30 */
  readonly shutdownGraceSeconds?: number;
  /**
   * Extra environment variables of the worker and its programs, in plain text: names match
   * [A-Za-z_][A-Za-z0-9_]*, values are literals (put secrets in secretEnv).
   * @default {}
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * The program's secrets, as environment variables: each value one token of a sensitive value
   * (e.g. `new TerraformVariable(this, 'api_key', { sensitive: true }).stringValue`), only
   * referenced in cdk.tf.json; in Marathon apps the value is the placeholder `{{NAME}}`, which
   * `workqueue deploy` fills from its own environment ($NAME). Names match [A-Z_][A-Z0-9_]*.
   * @default {}
   */
  readonly secretEnv?: Readonly<Record<string, string>>;
  /** CPUs per instance. @default 0.5 */
  readonly cpus?: number;
  /** Memory per instance in MiB. @default 256 */
  readonly memoryMb?: number;
  /** Image name, without tag. @default `workqueue-${name}` */
  readonly imageName?: string;
  /** Image tag. @default 'latest' for Docker, Swarm and Kubernetes; the `{{TAG}}` placeholder in Marathon apps */
  readonly imageTag?: string;
  /**
   * Registry the image is pushed to (`workqueue build --push`) and pulled from, e.g. 'registry.example.com:5000/team':
   * the image becomes `${registry}/${imageName}`. A cluster (kubernetes, swarm, marathon) pulls from it.
   * @default - none: the image stays on the host that built it
   */
  readonly registry?: string;
  /**
   * The Kubernetes namespace of the fleet's objects (kubernetes target only).
   * @default the broker's namespace, else 'default'
   */
  readonly namespace?: string;
  /** Base image, passed as the BASE_IMAGE build argument. @default 'node:24-bookworm-slim' */
  readonly baseImage?: string;
  /** Where it runs. @default the broker's target, else 'docker' */
  readonly target?: Target;
}

/**
 * A fleet of workqueue-worker instances consuming one queue: the worker image (bundled runtime,
 * the user's handler, extra packages), and the containers, Swarm service or Marathon app that
 * run it, with health checks on the runtime's /healthz and a stop grace covering its drain.
 */
export class WorkQueueWorker extends Construct {
  readonly queue: string;
  readonly name: string;
  readonly broker: Broker | undefined;
  readonly program: string;
  readonly args: readonly string[];
  readonly instances: number;
  readonly maxAttempts: number;
  /** How long failed messages wait before their retries: from the Broker's queue, like maxAttempts. */
  readonly retryDelays: RetryDelays;
  readonly shutdownGraceSeconds: number;
  /** Seconds between SIGTERM and SIGKILL that cover the runtime's drain. */
  readonly stopGraceSeconds: number;
  readonly target: Target;
  readonly imageName: string;
  readonly imageTag: string | undefined;
  /** The image's reference without tag: `${registry}/${imageName}`, or imageName without a registry. */
  readonly image: string;
  readonly baseImage: string;
  readonly packages: readonly string[];
  readonly cpus: number;
  readonly memoryMb: number;
  readonly marathonAppId: string;
  /** Scaling on the queue's depth, with its defaults; undefined: a fixed count of `instances`. */
  readonly autoscale: Autoscale | undefined;
  /** The Kubernetes namespace (kubernetes target). */
  readonly namespace: string;
  /** The fleet's Marathon app; marathon target only. */
  readonly marathonApp: MarathonApp | undefined;
  /** The fleet resolved once, platform-neutral: what the target's renderer mapped onto its platform. */
  readonly description: WorkerDescription;

  constructor(scope: Construct, id: string, props: WorkQueueWorkerProps) {
    super(scope, id);
    monitorQueues(this, () => [this.queue]);
    this.queue = props.queue;
    checkQueueName(constructLabel('WorkQueueWorker', this), 'queue', this.queue);
    this.broker = props.broker instanceof Broker ? props.broker : undefined;
    this.name = props.name ?? `${props.queue}-worker`;
    this.program = props.program ?? PROCESS_MESSAGE;
    this.args = props.args ?? (this.program === PROCESS_MESSAGE ? ['/tmp'] : []);
    this.target = checkTarget(constructLabel('WorkQueueWorker', this), props.target ?? this.broker?.target ?? 'docker');
    const renderer = rendererOf(this.target);
    this.autoscale = this.resolveAutoscale(props, renderer);
    this.instances = props.instances ?? this.autoscale?.min ?? 1;
    this.maxAttempts = props.maxAttempts ?? this.broker?.queue(this.queue)?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const declared = this.broker?.queue(this.queue);
    this.retryDelays = {
      retryDelaySeconds: props.retryDelaySeconds ?? declared?.retryDelaySeconds ?? DEFAULT_RETRY_DELAY_SECONDS,
      retryBackoff: props.retryBackoff ?? declared?.retryBackoff ?? DEFAULT_RETRY_BACKOFF,
      maxRetryDelaySeconds:
        props.maxRetryDelaySeconds ?? declared?.maxRetryDelaySeconds ?? DEFAULT_MAX_RETRY_DELAY_SECONDS,
    };
    this.shutdownGraceSeconds = props.shutdownGraceSeconds ?? DEFAULT_SHUTDOWN_GRACE_SECONDS;
    this.stopGraceSeconds = Math.ceil(this.shutdownGraceSeconds + KILL_AFTER_MS / 1000 + 5);
    this.imageName = props.imageName ?? `workqueue-${this.name}`;
    this.imageTag = props.imageTag;
    this.image = imageReference(props.registry, this.imageName);
    this.baseImage = props.baseImage ?? 'node:24-bookworm-slim';
    this.packages = props.packages ?? [];
    this.cpus = props.cpus ?? 0.5;
    this.memoryMb = props.memoryMb ?? 256;
    this.marathonAppId = `/${this.name}`;
    this.namespace = props.namespace ?? this.broker?.namespace ?? DEFAULT_NAMESPACE;
    this.validate(props, renderer);
    // Checked and listed before any resource exists: a refused link leaves nothing half-built.
    const handlerContext = this.contextEntries(props.handlerPath);
    this.claimNames(props);

    const url = typeof props.broker === 'string' ? props.broker : props.broker.url;
    const args = workerArgs({
      queue: this.queue,
      concurrency: props.concurrency,
      prefetchCount: props.prefetchCount,
      timeoutSeconds: props.timeoutSeconds,
      maxAttempts: this.maxAttempts,
      retryDelays: this.retryDelays,
      shutdownGraceSeconds: this.shutdownGraceSeconds,
      healthPort: WORKER_HEALTH_PORT,
      program: this.program,
      args: this.args,
    });
    const secretEnv = props.secretEnv ?? {};
    const build = new DockerImageBuild(this, 'image', {
      name: this.imageName,
      reference: this.image,
      registry: props.registry,
      tag: this.imageTag ?? 'latest',
      component: 'worker',
      terraform: renderer.terraformImages,
      details: () => workerDetails(this.description, this.target),
      buildArgs: { BASE_IMAGE: this.baseImage, EXTRA_PACKAGES: this.packages.join(' ') },
      context: handlerContext,
    });
    const broker = this.broker;
    this.description = {
      component: 'worker',
      name: this.name,
      queue: this.queue,
      image: { name: this.image, tag: this.imageTag, build },
      args,
      env: [
        ...Object.entries(props.env ?? {}).map(([name, value]) => ({ name, value })),
        // A secret's placeholder is its own name: workqueue deploy fills {{NAME}} from $NAME.
        ...Object.entries(secretEnv).map(([name, value]) => ({ name, value, placeholder: name })),
      ],
      broker: {
        url,
        ...(broker ? { stackBroker: { hosts: broker.hosts, workerUser: broker.workerUser, port: broker.port } } : {}),
      },
      cpus: this.cpus,
      memoryMb: this.memoryMb,
      stopGraceSeconds: this.stopGraceSeconds,
      health: { path: '/healthz', port: WORKER_HEALTH_PORT },
      labels: { [COMPONENT_LABEL]: 'worker', [QUEUE_LABEL]: this.queue },
      replicas: this.instances,
      autoscale: this.autoscale,
      namespace: this.namespace,
    };
    this.marathonApp = renderer.renderWorker(this, this.description, broker?.rendered).marathonApp;
  }

  private contextEntries(handlerPath: string | undefined): ContextEntry[] {
    return [
      { path: 'Dockerfile', source: imageFile('worker', 'Dockerfile') },
      { path: 'workqueue-worker', source: imageFile('worker', 'workqueue-worker'), executable: true },
      { path: 'process-message', source: imageFile('worker', 'process-message'), executable: true },
      { path: 'workqueue-worker.js', source: workerBundle() },
      { path: 'workqueue-autoscaler', source: imageFile('worker', 'workqueue-autoscaler'), executable: true },
      { path: 'workqueue-autoscaler.js', source: autoscalerBundle() },
      ...(spawnHelperBinary() === undefined
        ? []
        : [{ path: 'wq-spawn', source: spawnHelperBinary()!, executable: true }]),
      ...(handlerPath === undefined
        ? [{ path: 'app/.keep', content: '' }]
        : handlerEntries(constructLabel('WorkQueueWorker', this), handlerPath)),
    ];
  }

  /** The autoscale prop with its defaults, where the target can carry it out. */
  private resolveAutoscale(props: WorkQueueWorkerProps, renderer: TargetRenderer): Autoscale | undefined {
    if (props.autoscale === undefined) return undefined;
    const C = constructLabel('WorkQueueWorker', this);
    if (!renderer.autoscales) {
      const able = TARGETS.filter((t) => RENDERERS[t].autoscales).map((t) => `'${t}'`);
      throw propError(
        C,
        'autoscale',
        props.autoscale,
        `target '${this.target}' cannot rescale a fleet: use a target that can (${able.join(', ')}), or set instances`,
      );
    }
    if (props.instances !== undefined)
      throw propError(
        C,
        'instances',
        props.instances,
        'a fleet with autoscale starts at autoscale.min and is scaled on its queue: drop instances, or drop autoscale',
      );
    return resolveAutoscale(C, props.autoscale);
  }

  private validate(props: WorkQueueWorkerProps, renderer: TargetRenderer): void {
    const C = constructLabel('WorkQueueWorker', this);
    const nameProp = props.name === undefined ? 'name (derived from queue; set name explicitly)' : 'name';
    // The platform's own rule first: its message names the platform (kubernetes' is the stricter).
    renderer.checkName(C, nameProp, this.name, 'worker');
    checkMarathonName(C, nameProp, this.name);
    checkPlacement(C, this.target, renderer, { namespace: props.namespace });
    if (props.registry !== undefined) checkRegistry(C, 'registry', props.registry);
    checkCount(C, 'instances', this.instances, 0);
    checkCount(C, 'concurrency', props.concurrency, 1);
    checkCount(C, 'prefetchCount', props.prefetchCount, 1);
    checkCount(C, 'maxAttempts', this.maxAttempts, 0);
    checkRetryDelays(C, '', { name: this.queue, maxAttempts: this.maxAttempts, ...this.retryDelays });
    checkPositive(C, 'timeoutSeconds', props.timeoutSeconds);
    checkPositive(C, 'cpus', this.cpus);
    checkCount(C, 'memoryMb', this.memoryMb, 32);
    if (!Number.isFinite(this.shutdownGraceSeconds) || this.shutdownGraceSeconds < 0)
      throw propError(C, 'shutdownGraceSeconds', this.shutdownGraceSeconds, 'use 0 or more seconds');
    if (!this.program) throw propError(C, 'program', this.program, 'name the program to run, e.g. /app/handle.sh');
    checkNoControlChars(C, 'program', this.program, 'name the program by its path, e.g. /app/handle.sh');
    this.args.forEach((arg, i) => checkNoNul(C, `args[${i}]`, arg));
    checkImage(C, this.image, this.imageTag);
    this.validateEnv(C, props);
    for (const pkg of this.packages) {
      if (!/^[a-z0-9][a-z0-9+.-]+$/.test(pkg))
        throw propError(C, 'packages', pkg, 'use Debian package names (lowercase letters, digits, + . -)');
    }
    if (typeof props.broker === 'string') {
      if (!Token.isUnresolved(props.broker)) {
        // A cluster's nodes come as a comma-separated list: each must be a URL of its own.
        for (const one of props.broker.split(',')) {
          let url: URL;
          try {
            url = new URL(one.trim());
          } catch {
            throw propError(
              C,
              'broker',
              props.broker,
              'give a Broker, an amqp://host[:port][/vhost] URL, or a comma-separated list of them',
            );
          }
          if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:')
            throw propError(C, 'broker', props.broker, 'every URL must start with amqp:// or amqps://');
        }
      }
      checkUrlSecret(this, C, 'broker', props.broker);
      if (this.autoscale !== undefined && !Token.isUnresolved(props.broker) && props.broker.includes(','))
        throw propError(
          C,
          'broker',
          props.broker,
          "autoscale reads the queue's depth through one URL: give one node's URL, or the cluster's one address",
        );
      return;
    }
    const broker = props.broker;
    const declared = broker.queue(this.queue);
    if (!declared) {
      throw propError(
        C,
        'queue',
        this.queue,
        `broker '${broker.name}' does not declare it: add it to the Broker's queues ` +
          `(declared: ${broker.queues.map((q) => q.name).join(', ') || 'none'})`,
      );
    }
    if (props.maxAttempts !== undefined && props.maxAttempts !== declared.maxAttempts) {
      const fix =
        `the Broker declares '${this.queue}' with maxAttempts ${declared.maxAttempts}: ` +
        "set maxAttempts on the Broker's queue instead, so every fleet on it uses one limit";
      throw propError(C, 'maxAttempts', props.maxAttempts, fix);
    }
    for (const prop of ['retryDelaySeconds', 'retryBackoff', 'maxRetryDelaySeconds'] as const) {
      if (props[prop] !== undefined && props[prop] !== declared[prop]) {
        const fix =
          `the Broker declares '${this.queue}' with ${prop} ${declared[prop]} (and its delay queues): ` +
          `set ${prop} on the Broker's queue instead, so every fleet on it uses the same delays`;
        throw propError(C, prop, props[prop], fix);
      }
    }
    if (props.timeoutSeconds !== undefined && props.timeoutSeconds >= broker.consumerTimeoutSeconds) {
      throw propError(
        C,
        'timeoutSeconds',
        props.timeoutSeconds,
        `it must stay below the broker's consumerTimeoutSeconds (${broker.consumerTimeoutSeconds}), or RabbitMQ ` +
          "closes the channel before the program is stopped; raise the Broker's consumerTimeoutSeconds or lower " +
          'timeoutSeconds',
      );
    }
    if (this.target !== broker.target)
      throw propError(
        C,
        'target',
        this.target,
        `use the broker's target '${broker.target}' (both run on the same platform)`,
      );
    if (this.namespace !== broker.namespace)
      throw propError(
        C,
        'namespace',
        this.namespace,
        `use the broker's namespace '${broker.namespace}': workers reach it by its Service's short name`,
      );
  }

  /** Last of the checks: a fleet refused for another reason claims no name. */
  private claimNames(props: WorkQueueWorkerProps): void {
    const C = constructLabel('WorkQueueWorker', this);
    const role =
      this.node.id
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '') || 'b';
    const nameFix =
      props.name === undefined
        ? `several fleets on queue '${this.queue}' need a name each: set name, e.g. name: '${this.queue}-${role}'`
        : 'give each fleet and broker of the stack its own name';
    claimName(this, C, 'name', props.name === undefined ? 'name (derived from queue)' : 'name', this.name, nameFix);
    claimName(this, C, 'imageName', 'imageName', this.imageName, 'give each fleet and broker its own imageName');
    // The autoscaler's service or app sits beside the fleet's, by a name of its own.
    if (this.autoscale !== undefined)
      claimName(this, C, 'name', 'name (its autoscaler)', autoscalerName(this.name), nameFix);
  }

  private validateEnv(C: string, props: WorkQueueWorkerProps): void {
    const plain = props.env ?? {};
    const secret = props.secretEnv ?? {};
    for (const [name, value] of Object.entries(plain)) {
      if (!ENV_NAME.test(name))
        throw propError(
          C,
          'env',
          name,
          'an environment variable name is letters, digits and _, not starting with a digit (no =, no newline)',
        );
      if (name === BROKER_URL_VAR)
        throw propError(C, 'env', name, 'the construct sets AMQP_URL from broker: give the broker there');
      if (typeof value !== 'string') throw propError(C, `env['${name}']`, value, 'use a string');
      if (Token.isUnresolved(value))
        throw propError(
          C,
          `env['${name}']`,
          value,
          'a token cannot be written into the Marathon app: put secrets in secretEnv, and plain values as literals',
        );
      checkNoNul(C, `env['${name}']`, value);
    }
    for (const [name, value] of Object.entries(secret)) {
      if (!PLACEHOLDER_NAME.test(name)) {
        throw propError(
          C,
          'secretEnv',
          name,
          'use uppercase letters, digits and _, not starting with a digit: the Marathon app holds the ' +
            'placeholder {{NAME}}, which workqueue deploy fills from $NAME',
        );
      }
      if (name === BROKER_URL_VAR || DEPLOY_FLAG_PLACEHOLDERS.includes(name)) {
        throw propError(
          C,
          'secretEnv',
          name,
          `${[BROKER_URL_VAR, ...DEPLOY_FLAG_PLACEHOLDERS].join(', ')} are set by the construct or by ` +
            "workqueue deploy's flags: choose another name",
        );
      }
      if (name in plain) throw propError(C, 'secretEnv', name, 'it is also in env: give each variable once');
      checkSecret(
        this,
        C,
        `secretEnv['${name}']`,
        value,
        `, e.g. new TerraformVariable(this, '${name.toLowerCase()}', { type: 'string', sensitive: true }).stringValue`,
      );
    }
  }
}
