import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { App, TerraformVariable, Testing } from 'cdktf';
import { Broker, DefaultStack, WorkQueueWorker, defaultStackSettings, type BrokerProps } from '../constructs';
import { marathonValidator } from './helpers/marathon-schema';
import { errorOf, resources, synthesize } from './helpers/synth';

const validate = marathonValidator();
const NODES = ['broker-0', 'broker-1', 'broker-2'];
/** The URLs of a list as synthesized: the expressions in them hold commas of their own (replace(x, "+", "%20")). */
const urlsOf = (list: string) => list.split(/,(?=amqps?:\/\/)/);

/** A 3-node broker with two queues and a worker fleet on it, synthesized for `target`. */
function cluster(target: 'docker' | 'swarm' | 'marathon', props: Partial<BrokerProps> = {}) {
  return synthesize((stack) => {
    const broker = new Broker(stack, 'broker', { queues: ['jobs', 'mail'], nodes: 3, target, ...props });
    new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, name: 'worker', instances: 2 });
  });
}

/** The broker image's build context of a synthesized stack (Docker and Swarm targets). */
function brokerContext(json: string, dir: string): string {
  const image = Object.values(resources(json, 'docker_image')).find((i) =>
    String(i.name).startsWith('workqueue-broker'),
  );
  return join(dir, (image!.build as { context: string }).context);
}

/** The broker image's context for any target, from images/<name>.json. */
function contextOf(dir: string): string {
  const manifest = JSON.parse(readFileSync(join(dir, 'images', 'workqueue-broker.json'), 'utf8')) as {
    context: string;
  };
  return join(dir, manifest.context);
}

/** Every file under `dir`, with its text. */
function filesUnder(dir: string): { path: string; text: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [{ path, text: readFileSync(path, 'utf8') }];
  });
}

describe('a 3-node broker cluster on the docker target', () => {
  const { json } = cluster('docker', { amqpHostPort: 5673, managementHostPort: 15673 });
  const containers = Object.values(resources(json, 'docker_container'));
  const nodes = NODES.map((name) => containers.find((c) => c.name === name)!);

  it('runs one container per node, each with a stable host name, its own volume, on the broker network', () => {
    // GIVEN Broker({ nodes: 3 }) WHEN synthesized THEN broker-0..2, each with its host name as network alias
    expect(containers.map((c) => c.name).sort()).toEqual([...NODES, 'worker-${count.index}']);
    nodes.forEach((node, i) => {
      expect(node).toMatchObject({
        hostname: NODES[i],
        networks_advanced: [{ aliases: [NODES[i]] }],
        volumes: [{ container_path: '/var/lib/rabbitmq' }],
      });
      expect(node.env).toContain(`RABBITMQ_NODENAME=rabbit@${NODES[i]}`);
    });
    expect(Object.values(resources(json, 'docker_volume')).map((v) => v.name)).toEqual([
      'broker-data-0',
      'broker-data-1',
      'broker-data-2',
    ]);
    expect(Object.values(resources(json, 'docker_network')).map((n) => n.name)).toEqual(['broker-net']);
    // one image for every node: the configuration lists them all
    expect(Object.keys(resources(json, 'docker_image'))).toHaveLength(2);
  });

  it('publishes node i on amqpHostPort + i and managementHostPort + i', () => {
    expect(nodes.map((n) => (n.ports as { external: number }[]).map((p) => p.external))).toEqual([
      [5673, 15673],
      [5674, 15674],
      [5675, 15675],
    ]);
  });

  it('gives the workers every node in AMQP_URL, one URL per node', () => {
    const worker = containers.find((c) => String(c.name).startsWith('worker'))!;
    const url = (worker.env as string[]).find((e) => e.startsWith('AMQP_URL='))!.slice('AMQP_URL='.length);
    expect(urlsOf(url).map((u) => u.replace(/:\$\{.*\}@/, ':PW@'))).toEqual(
      NODES.map((n) => `amqp://workqueue-worker:PW@${n}:5672/`),
    );
  });
});

describe('a 3-node broker cluster on the swarm target', () => {
  const { json } = cluster('swarm');
  const services = Object.values(resources(json, 'docker_service'));

  it('runs one stop-first service per node, one replica each, with its own volume and host name', () => {
    expect(services.map((s) => s.name).sort()).toEqual([...NODES, 'worker']);
    for (const [i, name] of NODES.entries()) {
      const service = services.find((s) => s.name === name)!;
      expect(service).toMatchObject({
        mode: { replicated: { replicas: 1 } },
        update_config: { order: 'stop-first' },
        task_spec: {
          container_spec: {
            hostname: name,
            env: expect.objectContaining({ RABBITMQ_NODENAME: `rabbit@${name}` }),
            mounts: [
              { target: '/var/lib/rabbitmq', type: 'volume', source: expect.stringContaining(`broker_data-${i}`) },
            ],
          },
          networks_advanced: [{ aliases: [name] }],
        },
      });
    }
    const worker = services.find((s) => s.name === 'worker')!;
    const env = (worker.task_spec as { container_spec: { env: Record<string, string> } }).container_spec.env;
    expect(urlsOf(env.AMQP_URL)).toHaveLength(3);
  });
});

describe('a 3-node swarm cluster that publishes its ports', () => {
  it("resolves each node's name to its task (dnsrr) and publishes node i on the given port + i, in host mode", () => {
    // GIVEN a swarm cluster publishing AMQP on 5672 (every address, as Swarm publishes)
    const { json } = cluster('swarm', { amqpHostPort: 5672, hostAddress: '0.0.0.0' });
    const services = Object.values(resources(json, 'docker_service'));
    // THEN each node's service is dnsrr (Erlang distribution and clients need that one task, not a VIP)
    for (const [i, name] of NODES.entries()) {
      expect(services.find((s) => s.name === name)).toMatchObject({
        endpoint_spec: {
          mode: 'dnsrr',
          ports: [{ target_port: 5672, published_port: 5672 + i, publish_mode: 'host', protocol: 'tcp' }],
        },
      });
    }
  });
});

describe('a 3-node broker cluster on the marathon target', () => {
  const { marathon } = cluster('marathon', { dataSizeMb: 8192 });
  const brokers = NODES.map((n) => marathon[`${n}.json`]);

  it('writes one app per node and every app passes Marathon’s schema', () => {
    expect(Object.keys(marathon).sort()).toEqual([...NODES.map((n) => `${n}.json`), 'worker.json']);
    for (const [file, app] of Object.entries(marathon))
      expect({ file, errors: validate(app) }).toEqual({ file, errors: [] });
  });

  it('keeps each node’s data on a local persistent volume with residency, never in a directory of the agent', () => {
    for (const [i, app] of brokers.entries()) {
      const volumes = (app.container as { volumes: Record<string, unknown>[] }).volumes;
      expect(volumes).toEqual([
        { containerPath: `broker-data-${i}`, mode: 'RW', persistent: { type: 'root', size: 8192 } },
        { containerPath: '/var/lib/rabbitmq', hostPath: `broker-data-${i}`, mode: 'RW' },
      ]);
      // The only hostPath maps the app's own persistent volume (a sandbox path), as Marathon documents.
      const persistent = volumes.filter((v) => v.persistent).map((v) => v.containerPath);
      for (const v of volumes.filter((v) => v.hostPath !== undefined)) {
        expect(String(v.hostPath)).not.toMatch(/\//);
        expect(persistent).toContain(v.hostPath);
      }
      expect(app).toMatchObject({
        instances: 1,
        residency: { taskLostBehavior: 'WAIT_FOREVER' },
        upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
      });
    }
  });

  it('runs the nodes on host networking with fixed ports, one per agent, under their Mesos-DNS names', () => {
    for (const [i, app] of brokers.entries()) {
      expect(app).toMatchObject({
        id: `/broker-${i}`,
        networks: [{ mode: 'host' }],
        requirePorts: true,
        constraints: [['hostname', 'UNIQUE']],
        env: {
          RABBITMQ_NODENAME: `rabbit@broker-${i}.marathon.mesos`,
          RABBITMQ_USE_LONGNAME: 'true',
          WQ_ERLANG_COOKIE: '{{ERLANG_COOKIE}}',
          WQ_BROKER_PASSWORD: '{{BROKER_PASSWORD}}',
        },
      });
      // AMQP first: the workers' discovery takes a task's first port.
      expect((app.portDefinitions as { port: number }[]).map((p) => p.port)).toEqual([5672, 4369, 25672, 15672, 15692]);
      expect(app.container).not.toHaveProperty('portMappings');
    }
  });

  it('gives the worker app one -b per node and a dependency on every broker app', () => {
    const worker = marathon['worker.json'];
    expect((worker.args as string[]).slice(0, 7)).toEqual(['-b', 'broker-0', '-b', 'broker-1', '-b', 'broker-2', '-q']);
    expect(worker.dependencies).toEqual(['/broker-0', '/broker-1', '/broker-2']);
    expect((worker.env as Record<string, string>).AMQP_URL).toBe(
      NODES.map((n) => `amqp://workqueue-worker:{{WORKER_PASSWORD}}@${n}:5672/`).join(','),
    );
  });
});

describe('the cluster configuration baked into the broker image', () => {
  it.each([
    ['docker', (n: string) => `rabbit@${n}`],
    ['marathon', (n: string) => `rabbit@${n}.marathon.mesos`],
  ] as const)('on %s lists every node for classic_config and grows quorum queues to 3 members', (target, name) => {
    const { dir } = cluster(target);
    const conf = readFileSync(join(contextOf(dir), 'rabbitmq.conf'), 'utf8');
    expect(conf).toMatch(/^cluster_formation\.peer_discovery_backend = classic_config$/m);
    expect(conf.match(/^cluster_formation\.classic_config\.nodes\.\d+ = .*$/gm)).toEqual(
      NODES.map((n, i) => `cluster_formation.classic_config.nodes.${i + 1} = ${name(n)}`),
    );
    expect(conf).toMatch(/^quorum_queue\.continuous_membership_reconciliation\.enabled = true$/m);
    expect(conf).toMatch(/^quorum_queue\.continuous_membership_reconciliation\.target_group_size = 3$/m);
  });

  it('declares every queue and its .dlq with x-quorum-initial-group-size 3', () => {
    const { json, dir } = cluster('docker');
    const defs = JSON.parse(readFileSync(join(brokerContext(json, dir), 'definitions.json'), 'utf8')) as {
      queues: { name: string; arguments: Record<string, unknown> }[];
    };
    expect(defs.queues.map((q) => [q.name, q.arguments])).toEqual(
      ['jobs', 'jobs.dlq', 'mail', 'mail.dlq'].map((q) => [
        q,
        { 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': 3 },
      ]),
    );
  });

  it('leaves a single node as it was: no cluster settings, no group size, no cookie', () => {
    const one = synthesize((stack) => new Broker(stack, 'broker', { queues: ['jobs'], nodes: 1 }));
    const plain = synthesize((stack) => new Broker(stack, 'broker', { queues: ['jobs'] }));
    expect(one.json).toBe(plain.json);
    const context = brokerContext(one.json, one.dir);
    expect(readFileSync(join(context, 'rabbitmq.conf'), 'utf8')).not.toMatch(/cluster_formation|quorum_queue/);
    expect(readFileSync(join(context, 'definitions.json'), 'utf8')).not.toContain('x-quorum-initial-group-size');
    expect(one.json).not.toContain('WQ_ERLANG_COOKIE');
    expect(Object.keys(resources(one.json, 'random_password'))).toHaveLength(2);
  });
});

describe('the Erlang cookie is never in plain text', () => {
  /** Every `WQ_ERLANG_COOKIE` value written anywhere under cdktf.out. */
  function cookieValues(dir: string): string[] {
    const out = join(dir, '..', '..');
    return filesUnder(out).flatMap(({ text }) =>
      [...text.matchAll(/WQ_ERLANG_COOKIE(?:=|"\s*:\s*")([^"\n]*)/g)].map((m) => m[1]),
    );
  }

  it.each(['docker', 'swarm', 'marathon'] as const)(
    'on %s: generated by random_password (48 letters and digits), only referenced',
    (target) => {
      // GIVEN a cluster without erlangCookie WHEN synthesized in full
      const { json, dir } = cluster(target);
      // THEN the cookie is a sensitive random_password, and every file holds a reference or the placeholder
      expect(Object.values(resources(json, 'random_password'))).toContainEqual(
        expect.objectContaining({ length: 48, special: false }),
      );
      const values = cookieValues(dir);
      expect(values.length).toBeGreaterThan(0);
      for (const value of values)
        expect(value).toMatch(
          /^(\$\{random_password\.broker_erlang-cookie_[0-9A-F]+\.result\}|\{\{ERLANG_COOKIE\}\})$/,
        );
      // ... and the image holds no cookie file
      expect(readdirSync(contextOf(dir))).not.toContain('.erlang.cookie');
    },
  );

  it('given as a sensitive variable: only var.cookie is written', () => {
    const { dir } = synthesize((stack) => {
      const erlangCookie = new TerraformVariable(stack, 'cookie', { type: 'string', sensitive: true }).stringValue;
      new Broker(stack, 'broker', { queues: ['jobs'], nodes: 3, erlangCookie });
    });
    const values = cookieValues(dir);
    expect(new Set(values)).toEqual(new Set(['${var.cookie}', '{{ERLANG_COOKIE}}']));
  });

  it('refuses a literal cookie without showing it', () => {
    const error = errorOf((s) => new Broker(s, 'broker', { nodes: 3, erlangCookie: 'Sup3rS3cretCookieValue123' }));
    expect(error).toMatch(/^Broker \(test\/broker\): invalid erlangCookie "\*\*\*": a literal/);
    expect(error).not.toContain('Sup3rS3cret');
  });
});

describe('a cluster is refused at construction when it cannot keep a majority', () => {
  it.each<[string, BrokerProps, RegExp]>([
    ['nodes 2', { nodes: 2 }, /^Broker \(test\/broker\): invalid nodes 2: use 1, or an odd number of at least 3/],
    ['nodes 0', { nodes: 0 }, /^Broker \(test\/broker\): invalid nodes 0: use 1, or an odd number/],
    ['nodes 1.5', { nodes: 1.5 }, /^Broker \(test\/broker\): invalid nodes 1\.5: use 1, or an odd number/],
    ['nodes 4', { nodes: 4 }, /invalid nodes 4: .*a quorum queue needs a majority of its nodes up/],
    [
      'classic queues on 3 nodes',
      { nodes: 3, queueType: 'classic' },
      /^Broker \(test\/broker\): invalid queueType "classic": nodes 3 needs queueType 'quorum': classic queues are not/,
    ],
    [
      'node names past 63 characters',
      { nodes: 3, name: 'b'.repeat(62) },
      /invalid name 'b{57}\.\.\.' \(62 chars\): the node names .* must be at most 63 characters/,
    ],
    [
      'overlapping port ranges',
      { nodes: 3, amqpHostPort: 5672, managementHostPort: 5674 },
      /invalid managementHostPort 5674: node i publishes AMQP on .* 5672\.\.5674 and 5674\.\.5676 overlap/,
    ],
    [
      'a port range past 65535',
      { nodes: 3, amqpHostPort: 65534 },
      /invalid amqpHostPort 65534: node 2 would publish on 65536: use a port up to 65533/,
    ],
    [
      'a Marathon cluster with another management port',
      { nodes: 3, target: 'marathon', managementHostPort: 8080 },
      /invalid managementHostPort 8080: the nodes of a Marathon cluster use host networking.*use 15672/,
    ],
  ])('Broker refuses %s, saying why and the fix', (_what, props, message) => {
    expect(errorOf((stack) => new Broker(stack, 'broker', { queues: ['jobs'], ...props }))).toMatch(message);
  });

  it('refuses a fleet named like a node of the cluster', () => {
    const error = errorOf((stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'], nodes: 3 });
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, name: 'broker-1' });
    });
    expect(error).toMatch(/invalid name "broker-1": Broker \(test\/broker\) has it too/);
  });
});

describe('workers given a cluster as a URL list', () => {
  it('accept Broker.url of another stack’s cluster, checked URL by URL', () => {
    const { json } = synthesize((stack) => {
      const other = new Broker(stack, 'other', { name: 'other', queues: ['jobs'], nodes: 3 });
      new WorkQueueWorker(stack, 'remote', { queue: 'jobs', name: 'remote', broker: other.url });
    });
    const remote = Object.values(resources(json, 'docker_container')).find((c) => String(c.name).startsWith('remote'))!;
    expect(urlsOf(String(remote.env))).toHaveLength(3);
  });

  it('refuse a list with a literal password in any of its URLs', () => {
    const error = errorOf((stack) => {
      const pw = new TerraformVariable(stack, 'pw', { type: 'string', sensitive: true }).stringValue;
      new WorkQueueWorker(stack, 'remote', {
        queue: 'jobs',
        broker: `amqp://u:${pw}@rabbit-0/,amqp://u:hunter2@rabbit-1/`,
      });
    });
    expect(error).toMatch(/invalid broker "\*\*\*": a literal password would be written in plain text/);
    expect(error).not.toContain('hunter2');
  });
});

describe('the default stack (main.ts)', () => {
  it('takes the broker node count from WQ_NODES (or context "nodes")', () => {
    // GIVEN WQ_NODES=3 WHEN the default stack is built THEN its broker is a 3-node cluster
    const app = Testing.app() as App;
    const stack = new DefaultStack(app, 'workqueue', defaultStackSettings(app, { WQ_NODES: '3' }));
    expect(stack.broker.hosts).toEqual(NODES);
    const names = Object.values(resources(Testing.synth(stack), 'docker_container')).map((c) => c.name);
    expect(names.sort()).toEqual([...NODES, 'worker-${count.index}']);
    expect(() => defaultStackSettings(app, { WQ_NODES: 'three' })).toThrow(
      /default stack: invalid nodes 'three' \(WQ_NODES or context "nodes"\): use a whole number, e\.g\. WQ_NODES=3/,
    );
  });
});
