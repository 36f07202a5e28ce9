import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Construct } from 'constructs';
import { Broker, WorkQueueWorker, type Target } from '../constructs';
import { kubernetesFiles, objectOf, terraformManifests, yamlObjects } from './helpers/kubernetes';
import { errorOf, resources, synthesize } from './helpers/synth';

/** Text that Terraform's JSON syntax would take for an expression and a directive, were it not escaped. */
const TEMPLATE_VALUE = 'a${b}c';
const DIRECTIVE_QUEUE = 'q%{if true}x%{endif}';

/** What Terraform itself makes of a string of cdk.tf.json (an output of a configuration with no provider). */
function terraformValue(jsonString: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'wq-tf-literal-'));
  try {
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify({ output: { v: { value: jsonString } } }));
    const env = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
    const run = (args: string[]) => execFileSync('terraform', args, { cwd: dir, env, stdio: 'pipe' }).toString();
    run(['init', '-input=false']);
    run(['apply', '-auto-approve', '-input=false']);
    return JSON.parse(run(['output', '-json', 'v'])) as string;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fleet with the template-like env value on the queue with the directive-like name, on `target`. */
function hostileStack(target: Target) {
  return synthesize((stack) => {
    const broker = new Broker(stack, 'broker', { queues: [DIRECTIVE_QUEUE], target });
    new WorkQueueWorker(stack, 'workers', { queue: DIRECTIVE_QUEUE, broker, name: 'w', env: { TPL: TEMPLATE_VALUE } });
  });
}

describe("user text that looks like Terraform's template syntax reaches the platform as written", () => {
  it('on docker: Terraform renders the container env and arguments back to the text given', () => {
    // GIVEN an env value `a${b}c` and a queue `q%{if true}x%{endif}` WHEN synthesized for docker
    const { json } = hostileStack('docker');
    const container = Object.values(resources(json, 'docker_container')).find((c) => c.name !== 'broker')!;
    const env = (container.env as string[]).find((e) => e.startsWith('TPL='))!;
    const queue = (container.command as string[])[(container.command as string[]).indexOf('-q') + 1];
    // THEN Terraform itself evaluates them to the literal text (not an error, not 'qx')
    expect(terraformValue(env)).toBe(`TPL=${TEMPLATE_VALUE}`);
    expect(terraformValue(queue)).toBe(DIRECTIVE_QUEUE);
  });

  it('on kubernetes: the manifest Terraform applies equals the YAML kubectl reads', () => {
    const { json, dir } = hostileStack('kubernetes');
    const yaml = objectOf(yamlObjects(kubernetesFiles(dir)['w.yaml']), 'Deployment', 'w');
    const manifest = objectOf(terraformManifests(json), 'Deployment', 'w');
    type Spec = { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } };
    const envOf = (o: unknown) => (o as Spec).spec.template.spec.containers[0].env.find((e) => e.name === 'TPL')!;
    // THEN the YAML holds the text given, and Terraform renders the manifest's string to the same text
    expect(envOf(yaml).value).toBe(TEMPLATE_VALUE);
    expect(terraformValue(envOf(manifest).value!)).toBe(TEMPLATE_VALUE);
  });
});

describe('numbers and types a platform cannot take are refused in one line, never a stack trace', () => {
  const broker = (props: object) => (s: Construct) =>
    new Broker(s, 'broker', { queues: ['jobs'], target: 'kubernetes', ...props });
  const fleet = (props: object) => (s: Construct) =>
    new WorkQueueWorker(s, 'workers', {
      queue: 'jobs',
      broker: new Broker(s, 'broker', { queues: ['jobs'], target: 'kubernetes' }),
      ...props,
    });

  it.each([
    ['a trillion nodes', broker({ nodes: 1e12 + 1 }), /invalid nodes 1000000000001: use at most 99/],
    ['a trillion instances', fleet({ instances: 1e12 }), /invalid instances 1000000000000: use at most 2147483647/],
    [
      'a trillion as autoscale.max',
      fleet({ autoscale: { min: 0, max: 1e12, messagesPerInstance: 5 } }),
      /invalid autoscale\.max 1000000000000: use at most 2147483647/,
    ],
    [
      'NaN, shown as NaN',
      fleet({ autoscale: { min: NaN, max: 2, messagesPerInstance: 5 } }),
      /invalid autoscale\.min NaN: use a whole number/,
    ],
    ['autoscale that is not an object', fleet({ autoscale: 'yes' }), /invalid autoscale "yes": give \{ min, max/],
    ['a namespace that is a number', broker({ namespace: 5 }), /invalid namespace 5: use a Kubernetes namespace/],
    ['a storage class that is a number', broker({ storageClass: 7 }), /invalid storageClass 7: use a StorageClass/],
    ['a registry port out of range', broker({ registry: 'reg.io:99999' }), /invalid registry "reg.io:99999"/],
  ])('%s', (_what, build, message) => {
    const text = errorOf(build);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });

  it('does not show the login of a registry written with one', () => {
    const text = errorOf(broker({ registry: 'user:s3cret@reg.io' }));
    expect(text).toMatch(/invalid registry "\*\*\*@reg\.io"/);
    expect(text).not.toContain('s3cret');
  });
});
