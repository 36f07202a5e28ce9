import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { FatalError, UsageError } from '../../worker/errors';
import { parseFlags, text, type FlagSpec } from '../flags';
import { imageManifests } from '../image-manifests';
import { progress } from '../progress';
import { stackDir } from '../synth-output';

export const BUILD_HELP = `Usage: workqueue build [broker|worker] -t TAG

Builds the images of the stack (both, or one component) with the local Docker engine, from the
build contexts that cdktf synth wrote to cdktf.out (synthesized first when missing), tagged
IMAGE:TAG. Docker's own output shows the progress.

Options:
  -t, --tag TAG      tag of the images (required)
      --stack NAME   which synthesized stack (default: the only one)
      --synth        synthesize first, even when cdktf.out exists
  -h, --help         show this help

Examples:
  workqueue build -t v1.2
  workqueue build worker -t dev --synth
`;

const SPECS: FlagSpec[] = [
  { names: ['-t', '--tag'], key: 'tag', value: true },
  { names: ['--stack'], key: 'stack', value: true },
  { names: ['--synth'], key: 'synth', value: false },
];

export async function build(argv: readonly string[]): Promise<number> {
  const { flags, positional } = parseFlags('build', argv, SPECS);
  const tag = text(flags, 'tag');
  if (!tag) throw new UsageError('build: missing -t TAG');
  if (positional.length > 1) throw new UsageError('build: name at most one component: broker or worker');
  const dir = stackDir({ project: process.cwd(), stack: text(flags, 'stack'), synth: flags.synth === true, progress });
  const images = imageManifests(dir, positional[0]);
  for (const [i, image] of images.entries()) {
    const name = `${image.image}:${tag}`;
    progress(`building ${name} (${i + 1}/${images.length})`);
    const args = ['build', '-t', name, ...Object.entries(image.buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]), join(dir, image.context)];
    const result = spawnSync('docker', args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (result.error) throw new FatalError(`cannot run docker: ${result.error.message}`);
    if (result.status !== 0) throw new FatalError(`docker build of ${name} failed (exit ${result.status})`);
  }
  progress(`built ${images.map((m) => `${m.image}:${tag}`).join(', ')}`);
  return 0;
}
