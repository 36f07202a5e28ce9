/**
 * The package as a user gets it: `npm pack`, the tarball installed into a new project with its peer
 * dependencies from the registry, the project's TypeScript checked (CommonJS, module resolution node10
 * and node16, library checks on) and its stack synthesized with cdktf's App. Run by `npm run test:package`.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The whole test stays under this; each step gets what is left. */
const BUDGET_MS = 170_000;
const ROOT = join(__dirname, '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const started = Date.now();

function log(line: string): void {
  console.log(`package-test [${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);
}

function fail(why: string): never {
  throw new Error(why);
}

/** Runs a command to its end within the budget; returns its output, or fails with it when `ok` is not met. */
function run(
  cmd: string,
  args: string[],
  cwd: string,
  ok: (status: number | null) => boolean = (s) => s === 0,
  withStderr = true,
): string {
  const left = BUDGET_MS - (Date.now() - started);
  if (left <= 0) fail(`out of time before: ${cmd} ${args.join(' ')}`);
  const env = { ...process.env, CHECKPOINT_DISABLE: '1', npm_config_audit: 'false', npm_config_fund: 'false' };
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: left, maxBuffer: 64 * 1024 * 1024 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error) fail(`${cmd} ${args.join(' ')}: ${r.error.message}\n${output}`);
  if (!ok(r.status)) fail(`${cmd} ${args.join(' ')} exited ${r.status}:\n${output}`);
  return withStderr ? output : r.stdout;
}

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

/** What the tarball may hold: the built library, the bundles, the images' files, README, LICENSE. */
const SHIPPED = new RegExp(
  '^(' +
    [
      /package\.json|README\.md|LICENSE/.source,
      /images\/(broker|worker)\/[^/]+/.source,
      /dist\/(workqueue(-worker|-autoscaler)?\.js|wq-spawn)/.source,
      /dist\/lib\/.+\.(js|d\.ts|json)/.source,
    ].join('|') +
    ')$',
);

function pack(dir: string): string {
  log('npm run build, npm pack');
  run('npm', ['run', 'build'], ROOT);
  // Built just now: prepare's build would print into the JSON.
  const out = run(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', dir],
    ROOT,
    (s) => s === 0,
    false,
  );
  const [result] = JSON.parse(out) as PackResult[];
  log(`${result.filename}: ${result.files.length} files, ${result.size} B packed, ${result.unpackedSize} B unpacked`);
  const stray = result.files.map((f) => f.path).filter((p) => !SHIPPED.test(p));
  if (stray.length) fail(`the tarball ships files it should not: ${stray.join(', ')}`);
  for (const needed of [
    'LICENSE',
    'README.md',
    'dist/lib/constructs/index.d.ts',
    'dist/lib/worker/index.d.ts',
    'dist/workqueue-worker.js',
    'dist/workqueue-autoscaler.js',
    'images/worker/Dockerfile',
    'images/broker/Dockerfile',
  ]) {
    if (!result.files.some((f) => f.path === needed)) fail(`the tarball lacks ${needed}`);
  }
  return join(dir, result.filename);
}

/** A new project depending on the tarball and on the peer dependencies it names, nothing else. */
function makeProject(dir: string, tarball: string): void {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    peerDependencies: Record<string, string>;
  };
  const pkg = {
    name: 'consumer',
    private: true,
    dependencies: { workqueue: `file:${tarball}`, ...manifest.peerDependencies },
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  const fixtures = join(__dirname, 'consumer');
  for (const file of readdirSync(fixtures)) copyFileSync(join(fixtures, file), join(dir, file));
}

/** Type-checks the project with one module resolution; the package's declarations must be the ones read. */
function typecheck(dir: string, module: string, resolution: string): void {
  log(`tsc: module ${module}, moduleResolution ${resolution}, skipLibCheck false`);
  const files = run(
    process.execPath,
    [TSC, '-p', '.', '--noEmit', '--listFilesOnly', '--module', module, '--moduleResolution', resolution],
    dir,
  );
  for (const declared of [
    'workqueue/dist/lib/worker/index.d.ts',
    'workqueue/dist/lib/constructs/index.d.ts',
    '@types/amqplib/index.d.ts',
  ]) {
    if (!files.includes(`node_modules/${declared}`))
      fail(`${resolution}: the program does not read ${declared}:\n${files}`);
  }
  run(process.execPath, [TSC, '-p', '.', '--noEmit', '--module', module, '--moduleResolution', resolution], dir);
}

type TerraformJson = {
  provider?: Record<string, Record<string, unknown>[]>;
  resource?: Record<string, Record<string, { name?: string }>>;
};

function synthesizeAndCheck(dir: string): void {
  log('tsc (node10) to JavaScript, then node main.js: cdktf App synth');
  run(process.execPath, [TSC, '-p', '.', '--moduleResolution', 'node10'], dir);
  const worker = run(process.execPath, ['-p', "require.resolve('workqueue/worker')"], dir).trim();
  if (!worker.endsWith(join('node_modules', 'workqueue', 'dist', 'lib', 'worker', 'index.js'))) {
    fail(`require('workqueue/worker') resolves to ${worker}`);
  }
  run(process.execPath, [join('out', 'main.js')], dir);
  const stackDir = join(dir, 'cdktf.out', 'stacks', 'jobs');
  const tf = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as TerraformJson;
  const docker = tf.provider?.docker ?? [];
  if (docker.length !== 1 || docker[0].host !== 'unix:///run/user/1000/docker.sock') {
    fail(`expected one docker provider block, the user's: ${JSON.stringify(tf.provider)}`);
  }
  if ((tf.provider?.random ?? []).length !== 1)
    fail(`expected one random provider block: ${JSON.stringify(tf.provider)}`);
  const names = (type: string): string[] =>
    Object.values(tf.resource?.[type] ?? {})
      .map((r) => String(r.name))
      .sort();
  const expect = (what: string, got: string[], want: string[]): void => {
    if (JSON.stringify(got) !== JSON.stringify(want))
      fail(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  };
  expect('containers', names('docker_container'), ['broker', 'jobs-gpu-${count.index}', 'jobs-worker-${count.index}']);
  expect('images', names('docker_image'), [
    'workqueue-broker:latest',
    'workqueue-jobs-gpu:latest',
    'workqueue-jobs-worker:latest',
  ]);
  // Issue 14: Marathon apps only for the marathon target; every target writes the neutral manifests the CLI reads.
  if (existsSync(join(stackDir, 'marathon'))) fail('Marathon apps written for the docker target');
  expect('image manifests', readdirSync(join(stackDir, 'images')).sort(), [
    'workqueue-broker.json',
    'workqueue-jobs-gpu.json',
    'workqueue-jobs-worker.json',
  ]);
  log(`synthesized: 1 docker provider (the user's), containers ${names('docker_container').join(', ')}`);

  log('node clash.js: two unnamed fleets on one queue must be refused');
  const clash = run(process.execPath, [join('out', 'clash.js')], dir, (s) => s !== 0);
  if (!clash.includes("several fleets on queue 'jobs' need a name each: set name"))
    fail(`unexpected refusal:\n${clash}`);
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'workqueue-package-test-'));
  try {
    const tarball = pack(dir);
    const project = join(dir, 'consumer');
    run('mkdir', [project], dir);
    makeProject(project, tarball);
    log('npm install: the tarball and its peer dependencies from the registry');
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], project);
    typecheck(project, 'commonjs', 'node10');
    typecheck(project, 'node16', 'node16');
    synthesizeAndCheck(project);
    log('ok');
  } finally {
    if (process.env.WQ_KEEP_PACKAGE_TEST) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

try {
  main();
} catch (err) {
  console.error(`package-test: FAILED: ${(err as Error).message}`);
  process.exitCode = 1;
}
