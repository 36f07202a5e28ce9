import { spawn, type ChildProcessByStdio, type SpawnOptions } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { constants as osConstants, endianness } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { describeExit, type LaunchEvents, type LaunchRequest, type Launched, type Launcher } from './program-launcher';
import { nodeLauncher } from './node-launcher';
import { printable } from '../observability/printable';

/** File name of the native spawn helper (worker/process/native/wq-spawn.c), shipped next to the runtime. */
export const HELPER_NAME = 'wq-spawn';

/**
 * The spawn helper to use: $WQ_SPAWN_HELPER, else wq-spawn next to the bundled runtime (or three
 * levels up, next to the bundle, for the library build in dist/lib/worker/process). Undefined when there
 * is none or WQ_SPAWN_HELPER is empty: programs are then started by Node itself.
 */
export function findSpawnHelper(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates =
    env.WQ_SPAWN_HELPER !== undefined
      ? [env.WQ_SPAWN_HELPER]
      : [join(__dirname, HELPER_NAME), join(__dirname, '..', '..', '..', HELPER_NAME)];
  return candidates.find((file) => {
    if (!file) return false;
    try {
      accessSync(file, fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const HELPER_MISSING = 'cannot start the spawn helper';

type HelperProcess = ChildProcessByStdio<Writable, null, null>;

const readU32 =
  endianness() === 'LE' ? (b: Buffer, at: number) => b.readUInt32LE(at) : (b: Buffer, at: number) => b.readUInt32BE(at);
const writeU32 =
  endianness() === 'LE'
    ? (b: Buffer, v: number, at: number) => b.writeUInt32LE(v, at)
    : (b: Buffer, v: number, at: number) => b.writeUInt32BE(v, at);
const ERRNO_NAMES = new Map(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));
const SIGNAL_NAMES = new Map(Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));
/** Why the helper refused a request's environment: its ENV_* codes ('E' frames). */
const ENV_REFUSALS: Readonly<Record<number, string>> = {
  1: "no '='",
  2: 'not a valid variable name',
  3: 'holds a NUL byte',
  4: 'given twice',
  5: 'truncated',
};

/** The request's environment as the helper reads it: each entry u32 length, then NAME=VALUE. */
function encodeEnv(names: readonly string[], env: Readonly<Record<string, string>>): Buffer {
  const entries = names.map((name) => `${name}=${env[name]}`);
  const out = Buffer.alloc(entries.reduce((total, entry) => total + 4 + Buffer.byteLength(entry), 0));
  let at = 0;
  for (const entry of entries) {
    const n = out.write(entry, at + 4);
    writeU32(out, n, at);
    at += 4 + n;
  }
  return out;
}

/** One helper process: one program at a time, its frames parsed as they come. */
class Helper implements Launched {
  private readonly child: HelperProcess;
  private readonly frames: Readable;
  private pending: Buffer = Buffer.alloc(0);
  private events?: LaunchEvents;
  private program = '';
  /** Names of the running request's environment entries, in the order sent. */
  private envNames: string[] = [];
  dead = false;

  constructor(
    path: string,
    program: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    onDead: (h: Helper) => void,
  ) {
    // The helper writes the programs' tagged output straight to our stdout and stderr; frames come on fd 3.
    // Its environment is what its programs start from.
    const options = { env, stdio: ['pipe', 'inherit', 'inherit', 'pipe'] } satisfies SpawnOptions;
    this.child = spawn(path, [program, ...args], options) as unknown as HelperProcess;
    this.frames = this.child.stdio[3] as Readable;
    // Idle helpers must not keep a finished worker alive (a helper exits when its stdin closes);
    // a busy one holds the event loop through its stdout until its program has ended.
    this.child.unref();
    this.hold(false);
    (this.child.stdin as Writable & { unref?: () => void }).unref?.();
    this.child.stdin.on('error', () => undefined); // the 'exit' handler below reports a dead helper
    this.frames.on('data', (chunk: Buffer) => this.receive(chunk));
    this.child.on('error', () => this.lost(HELPER_MISSING, onDead));
    this.child.on('exit', (code, signal) =>
      this.lost(`the spawn helper ended (${signal ?? `exit code ${code}`})`, onDead),
    );
  }

  private hold(busy: boolean): void {
    const frames = this.frames as Readable & { ref?: () => void; unref?: () => void };
    if (busy) frames.ref?.();
    else frames.unref?.();
  }

  run(req: LaunchRequest, events: LaunchEvents): void {
    this.events = events;
    this.hold(true);
    this.program = req.program;
    const tag = Buffer.from(req.tag);
    this.envNames = Object.keys(req.env);
    const env = encodeEnv(this.envNames, req.env);
    const head = Buffer.alloc(13);
    head.write('R', 0);
    writeU32(head, tag.length, 1);
    writeU32(head, env.length, 5);
    writeU32(head, req.body.length, 9);
    this.child.stdin.write(Buffer.concat([head, tag, env, req.body]));
  }

  /** Asks the helper to signal the running program's group (ignored once it has ended). */
  kill(signal: NodeJS.Signals): void {
    if (this.dead) return;
    const frame = Buffer.alloc(5);
    frame.write('K', 0);
    writeU32(frame, osConstants.signals[signal], 1);
    this.child.stdin.write(frame);
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 5) {
      const len = readU32(this.pending, 1);
      if (this.pending.length < 5 + len) return;
      const type = String.fromCharCode(this.pending[0]);
      const data = this.pending.subarray(5, 5 + len);
      this.pending = this.pending.subarray(5 + len);
      this.frame(type, data);
    }
  }

  private frame(type: string, data: Buffer): void {
    const events = this.events;
    if (!events) return;
    if (type === 'F' || type === 'X' || type === 'E') {
      this.events = undefined;
      this.hold(false);
      if (type === 'F') {
        const errno = readU32(data, 0);
        events.ended({
          ok: false,
          reason: `cannot start ${this.program}: ${ERRNO_NAMES.get(errno) ?? `errno ${errno}`}`,
        });
      } else if (type === 'E') {
        const [code, index] = [readU32(data, 0), readU32(data, 4)];
        const name = printable(this.envNames[index] ?? `#${index}`);
        const why = ENV_REFUSALS[code] ?? `code ${code}`;
        events.ended({ ok: false, reason: `refused environment entry ${name}: ${why}` });
      } else {
        const [how, value, pgid, left] = [readU32(data, 0), readU32(data, 4), readU32(data, 8), readU32(data, 12)];
        const outcome =
          how === 1
            ? describeExit(null, SIGNAL_NAMES.get(value) ?? (`signal ${value}` as NodeJS.Signals))
            : describeExit(value, null);
        // The helper saw the group empty at the exit (most programs): nothing of it can still run.
        events.ended(outcome, left === 0 ? undefined : pgid);
      }
    }
  }

  private lost(why: string, onDead: (h: Helper) => void): void {
    if (this.dead) return;
    this.dead = true;
    onDead(this);
    const events = this.events;
    this.events = undefined;
    events?.ended({ ok: false, reason: why });
  }
}

/**
 * Starts programs through wq-spawn helpers, one helper per program running at once (created as
 * needed, then reused). If a helper cannot be started at all, Node's own spawn takes over.
 * `env` is what programs start from (see program-env.ts).
 */
export function helperLauncher(
  path: string,
  program: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Launcher {
  const idle: Helper[] = [];
  const nodeSpawn = nodeLauncher(env);
  let fallback = false;
  return (req, events) => {
    if (fallback) return nodeSpawn(req, events);
    let helper = idle.pop();
    while (helper?.dead) helper = idle.pop();
    const h =
      helper ??
      new Helper(path, program, args, env, (dead) => {
        const at = idle.indexOf(dead);
        if (at !== -1) idle.splice(at, 1);
      });
    let current: Launched = h;
    h.run(req, {
      output: events.output,
      ended: (outcome, pgid) => {
        if (!outcome.ok && outcome.reason === HELPER_MISSING) {
          fallback = true; // no helper on this machine after all: Node's spawn, from now on
          current = nodeSpawn(req, events);
          return;
        }
        if (!h.dead) idle.push(h);
        events.ended(outcome, pgid);
      },
    });
    return { kill: (signal) => current.kill(signal) };
  };
}
