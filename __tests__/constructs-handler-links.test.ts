import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker, WorkQueueWorker } from '../constructs';
import { resources, synthesize } from './helpers/synth';

/** A handler directory with handle.sh, plus an outside secret next to it. */
function handlerDir(): { root: string; handler: string; outside: string } {
  const root = mkdtempSync(join(tmpdir(), 'wq-handler-'));
  const handler = join(root, 'handler');
  mkdirSync(handler);
  writeFileSync(join(handler, 'handle.sh'), '#!/bin/sh\ncat\n');
  chmodSync(join(handler, 'handle.sh'), 0o755);
  const outside = join(root, 'secret.txt');
  writeFileSync(outside, 'outside-secret-9c1e\n');
  return { root, handler, outside };
}

/** Synthesizes a worker with `handlerPath`; returns its image context, or the error message. */
function build(handlerPath: string): { context?: string; error?: string } {
  try {
    const { json, dir } = synthesize((stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'] });
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, program: '/app/handle.sh', handlerPath });
    });
    const image = Object.values(resources(json, 'docker_image')).find((i) =>
      String(i.name).startsWith('workqueue-jobs-worker'),
    )!;
    return { context: join(dir, (image.build as { context: string }).context) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe('handlerPath: nothing from outside it enters the image', () => {
  const made: string[] = [];
  afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const fresh = () => {
    const h = handlerDir();
    made.push(h.root);
    return h;
  };

  it.each([
    [
      'an absolute link to a file outside',
      (h: ReturnType<typeof handlerDir>) => symlinkSync(h.outside, join(h.handler, 'config')),
    ],
    [
      'a relative link escaping with ..',
      (h: ReturnType<typeof handlerDir>) => symlinkSync('../secret.txt', join(h.handler, 'config')),
    ],
    ['a link to /etc', (h: ReturnType<typeof handlerDir>) => symlinkSync('/etc', join(h.handler, 'config'))],
  ])('refuses %s, naming the link', (_what, link) => {
    // GIVEN a handler directory holding a link that leads outside it
    const h = fresh();
    link(h);
    // WHEN the worker is synthesized
    const { error } = build(h.handler);
    // THEN construction fails with the link's path and the fix, and no secret shows
    expect(error).toMatch(
      new RegExp(
        /^WorkQueueWorker \(test\/workers\): invalid handlerPath ".*\/handler\/config": /.source +
          /the link points to '.*', outside .*\/handler: copy the file into/.source,
      ),
    );
    expect(error).not.toContain('outside-secret');
  });

  it('refuses a link that nests deeper inside a subdirectory', () => {
    const h = fresh();
    mkdirSync(join(h.handler, 'lib', 'deep'), { recursive: true });
    symlinkSync('../../../secret.txt', join(h.handler, 'lib', 'deep', 'key'));
    expect(build(h.handler).error).toMatch(/invalid handlerPath ".*\/handler\/lib\/deep\/key": the link points to/);
  });

  it('names where a chain of links ends, not its first hop inside the handler', () => {
    // GIVEN handler/l -> sub/m -> ../../secret.txt, a chain whose first hop stays inside
    const h = fresh();
    mkdirSync(join(h.handler, 'sub'));
    symlinkSync('../../secret.txt', join(h.handler, 'sub', 'm'));
    symlinkSync('sub/m', join(h.handler, 'l'));
    // WHEN the worker is synthesized
    const { error } = build(h.handler);
    // THEN the error names the file outside that the chain leads to
    expect(error).toContain(
      `invalid handlerPath "${join(h.handler, 'l')}": ` +
        `the link points to '${realpathSync(h.outside)}', outside ${h.handler}`,
    );
  });

  it('names the missing end of a broken chain of links', () => {
    const h = fresh();
    mkdirSync(join(h.handler, 'sub'));
    symlinkSync('../gone.txt', join(h.handler, 'sub', 'm'));
    symlinkSync('sub/m', join(h.handler, 'l'));
    expect(build(h.handler).error).toContain(
      `invalid handlerPath "${join(h.handler, 'l')}": ` +
        `the link points to '${join(h.handler, 'gone.txt')}', which does not exist`,
    );
  });

  it('says a broken link is broken (not a raw ENOENT)', () => {
    const h = fresh();
    symlinkSync('missing.txt', join(h.handler, 'data'));
    const { error } = build(h.handler);
    expect(error).toMatch(
      /invalid handlerPath ".*\/handler\/data": the link points to '.*\/handler\/missing.txt', which does not exist/,
    );
    expect(error).not.toMatch(/ENOENT/);
  });

  it('refuses a directory link back into its own parent (a loop)', () => {
    const h = fresh();
    mkdirSync(join(h.handler, 'lib'));
    symlinkSync('..', join(h.handler, 'lib', 'up'));
    expect(build(h.handler).error).toMatch(
      /invalid handlerPath ".*\/handler\/lib\/up": the link points back to '\.', which contains it/,
    );
  });

  it('copies links inside it as regular files and directories, keeping modes', () => {
    // GIVEN links to a file and a directory inside the handler
    const h = fresh();
    mkdirSync(join(h.handler, 'lib'));
    writeFileSync(join(h.handler, 'lib', 'util.sh'), 'echo util\n');
    symlinkSync('handle.sh', join(h.handler, 'run.sh'));
    symlinkSync('lib', join(h.handler, 'lib2'));
    mkdirSync(join(h.handler, 'empty'));
    // WHEN synthesized
    const { context, error } = build(h.handler);
    expect(error).toBeUndefined();
    // THEN the image context holds regular copies, and the executable stays executable
    const app = join(context!, 'app');
    expect(lstatSync(join(app, 'run.sh')).isFile()).toBe(true);
    expect(readFileSync(join(app, 'run.sh'), 'utf8')).toBe('#!/bin/sh\ncat\n');
    expect(statSync(join(app, 'handle.sh')).mode & 0o111).toBeTruthy();
    expect(statSync(join(app, 'lib', 'util.sh')).mode & 0o111).toBe(0);
    expect(readFileSync(join(app, 'lib2', 'util.sh'), 'utf8')).toBe('echo util\n');
    expect(statSync(join(app, 'empty')).isDirectory()).toBe(true);
  });

  it('resolves a handlerPath that is itself a link once, then checks inside it', () => {
    const h = fresh();
    const link = join(h.root, 'current');
    symlinkSync(h.handler, link);
    const { context } = build(link);
    expect(readFileSync(join(context!, 'app', 'handle.sh'), 'utf8')).toBe('#!/bin/sh\ncat\n');
    symlinkSync(h.outside, join(h.handler, 'config'));
    expect(build(link).error).toMatch(
      /invalid handlerPath ".*\/current\/config": the link points to .*outside .*\/current/,
    );
  });

  it('says a handlerPath that is a broken link is broken', () => {
    const h = fresh();
    const link = join(h.root, 'current');
    symlinkSync(join(h.root, 'gone'), link);
    expect(build(link).error).toMatch(
      /invalid handlerPath ".*\/current": it is a link that points to '.*\/gone', which does not exist/,
    );
  });
});
