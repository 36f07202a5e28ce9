import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** The native spawn helper as the build ships it next to the worker bundle. */
const HELPER = join(__dirname, '..', 'dist', 'wq-spawn');
const LE = endianness() === 'LE';

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  if (LE) b.writeUInt32LE(n);
  else b.writeUInt32BE(n);
  return b;
}

/** Environment entries as the protocol carries them: u32 length, then the bytes. */
function entries(...list: (string | Buffer)[]): Buffer {
  return Buffer.concat(list.flatMap((e) => [u32(Buffer.byteLength(e)), Buffer.from(e)]));
}

interface Frame {
  readonly type: string;
  readonly values: number[];
}

/** One wq-spawn process driven by hand-made frames on its stdin; its answer frames read from fd 3. */
class HelperUnderTest {
  readonly child: ChildProcess;
  stdout = '';
  private pending = Buffer.alloc(0);
  private frames: Frame[] = [];
  private wake?: () => void;
  private readonly closed: Promise<unknown>;

  constructor(program: readonly string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(HELPER, [...program], { env, stdio: ['pipe', 'pipe', 'inherit', 'pipe'] });
    this.closed = new Promise((resolve) => this.child.on('close', resolve));
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    (this.child.stdio[3] as Readable).on('data', (chunk: Buffer) => {
      this.pending = Buffer.concat([this.pending, chunk]);
      while (this.pending.length >= 5) {
        const len = LE ? this.pending.readUInt32LE(1) : this.pending.readUInt32BE(1);
        if (this.pending.length < 5 + len) break;
        const data = this.pending.subarray(5, 5 + len);
        const values = Array.from({ length: len / 4 }, (_, i) =>
          LE ? data.readUInt32LE(4 * i) : data.readUInt32BE(4 * i),
        );
        this.frames.push({ type: String.fromCharCode(this.pending[0]), values });
        this.pending = this.pending.subarray(5 + len);
      }
      this.wake?.();
    });
  }

  /** Sends one 'R' request: tag, raw environment section, body. */
  request(tag: string, env: Buffer, body = ''): void {
    const t = Buffer.from(tag);
    const b = Buffer.from(body);
    (this.child.stdin as Writable).write(
      Buffer.concat([Buffer.from('R'), u32(t.length), u32(env.length), u32(b.length), t, env, b]),
    );
  }

  /** The next answer frame; fails if none comes (a helper that lost step with the protocol). */
  async answer(timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (Date.now() > deadline || this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`no answer frame from wq-spawn`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 100);
      });
    }
    return this.frames.shift()!;
  }

  async close(): Promise<void> {
    this.child.stdin!.end();
    await this.closed;
  }
}

const ENV_NO_EQUALS = 1;
const ENV_BAD_NAME = 2;
const ENV_NUL = 3;
const ENV_DUPLICATE = 4;
const ENV_TRUNCATED = 5;

describe('wq-spawn, driven directly with hand-made frames', () => {
  let dir: string;
  let marker: string;
  let helper: HelperUnderTest;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wq-spawn-'));
    marker = join(dir, 'ran');
    // The program records each run, then prints its environment.
    helper = new HelperUnderTest(['sh', '-c', 'echo ran >> "$0"; env', marker], {
      PATH: process.env.PATH,
      FOO: 'inherited',
    });
  });
  afterEach(async () => {
    await helper.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['an entry without =', entries('WQ_QUEUE=q', 'WQ_NOTHING'), ENV_NO_EQUALS, 1],
    [
      'a bash function name (BASH_FUNC_x%%)',
      entries('WQ_QUEUE=q', `BASH_FUNC_x%%=() { touch ${'$0'}.pwned; }`),
      ENV_BAD_NAME,
      1,
    ],
    ['a name starting with a digit', entries('1ABC=x'), ENV_BAD_NAME, 0],
    ['a name with a newline', entries('WQ_QUEUE=q', 'A\nB=x'), ENV_BAD_NAME, 1],
    [
      'a second entry smuggled after a NUL',
      entries('WQ_QUEUE=q', 'WQ_MESSAGE_ID=m\0NODE_OPTIONS=--require=/tmp/x'),
      ENV_NUL,
      1,
    ],
    ['the same name twice', entries('WQ_A=1', 'WQ_B=2', 'WQ_A=3'), ENV_DUPLICATE, 2],
    [
      'an entry longer than the section',
      Buffer.concat([entries('WQ_QUEUE=q'), u32(100), Buffer.from('WQ_X=1')]),
      ENV_TRUNCATED,
      1,
    ],
  ])('refuses %s: the program does not run, the answer says why', async (_what, env, code, index) => {
    // GIVEN a running helper
    // WHEN it is asked to run its program with that environment
    helper.request('bad', env, 'body');
    // THEN it answers 'E' with the reason and the entry, and the program never ran
    expect(await helper.answer()).toEqual({ type: 'E', values: [code, index] });
    expect(existsSync(marker)).toBe(false);

    // AND the next, good request runs as usual: the refusal left the protocol in step
    helper.request('good', entries('WQ_QUEUE=q'));
    expect(await helper.answer()).toMatchObject({ type: 'X', values: [0, 0, expect.any(Number), 0] });
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    expect(helper.stdout).not.toContain('[bad]');
  });

  it("gives the program each variable once: a request's entry replaces the inherited one", async () => {
    // GIVEN a helper whose own environment has FOO=inherited
    // WHEN a request sets FOO and a new variable
    helper.request('job', entries('FOO=given', 'WQ_QUEUE=q'));
    expect(await helper.answer()).toMatchObject({ type: 'X', values: [0, 0, expect.any(Number), 0] });
    // THEN the program sees FOO once, with the request's value, and the new variable
    const lines = helper.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('[job] FOO='))).toEqual(['[job] FOO=given']);
    expect(lines).toContain('[job] WQ_QUEUE=q');
  });

  it("says whether the program's process group outlived it: the worker watches only such groups", async () => {
    // GIVEN a helper whose program leaves a background child that ignores TERM, when asked to
    const lingering = new HelperUnderTest(
      ['sh', '-c', 'if [ "$WQ_LINGER" = yes ]; then (trap "" TERM; sleep 2) & fi; exit 0'],
      { PATH: process.env.PATH },
    );
    try {
      // WHEN it runs once without and once with the child
      lingering.request('alone', entries('WQ_LINGER=no'));
      const alone = await lingering.answer();
      lingering.request('parent', entries('WQ_LINGER=yes'));
      const parent = await lingering.answer();
      // THEN the exit frame's last value is 0 for the empty group and 1 for the group still running
      expect(alone).toMatchObject({ type: 'X', values: [0, 0, expect.any(Number), 0] });
      expect(parent).toMatchObject({ type: 'X', values: [0, 0, expect.any(Number), 1] });
      process.kill(-parent.values[2], 'SIGKILL');
    } finally {
      await lingering.close();
    }
  });
});
