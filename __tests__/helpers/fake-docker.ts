import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A `docker` first on PATH that records each argv as one JSON line under `root` and exits 0. */
export function fakeDocker(root: string): { env: NodeJS.ProcessEnv; calls: () => string[][] } {
  const bin = join(root, 'fake-bin');
  const log = join(root, 'docker-calls.jsonl');
  mkdirSync(bin);
  const record = `JSON.stringify(process.argv.slice(2)) + '\\n'`;
  const script = `#!${process.execPath}\nrequire('fs').appendFileSync(${JSON.stringify(log)}, ${record});\n`;
  writeFileSync(join(bin, 'docker'), script);
  chmodSync(join(bin, 'docker'), 0o755);
  const calls = () =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as string[])
      : [];
  return { env: { PATH: `${bin}:${process.env.PATH ?? ''}` }, calls };
}
