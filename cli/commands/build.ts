import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { FatalError, UsageError } from '../../worker/command-line/errors';
import { parseFlags, text, type FlagSpec } from '../../worker/command-line/flags';
import { componentApps, imageManifests, type ComponentApp, type ImageManifest } from '../image-manifests';
import { progress } from '../progress';
import { appsNamed } from '../stack-apps';
import { stackDir } from '../synth-output';
import { tagOption } from '../tag-option';

export const BUILD_HELP = `Usage: workqueue build [APP|broker|worker]... -t TAG [--push]

Builds images of the stack with the local Docker engine, from the build contexts that cdktf
synth wrote to cdktf.out (synthesized first when missing), tagged IMAGE:TAG: every image, or
those of the apps named by id (as deploy names them), or of every broker or worker app.
With --push, pushes each to the registry its construct names (the registry prop), where a
cluster pulls it from; log in first with docker login. Docker's own output shows the progress.

Options:
  -t, --tag TAG      tag of the images (required)
      --push         push the images after building them (each construct needs a registry)
      --stack NAME   which synthesized stack (default: the only one)
      --synth        synthesize first, even when cdktf.out exists
  -h, --help         show this help

Examples:
  workqueue build -t v1.2
  workqueue build -t v1.2 --push
  workqueue build worker -t dev --synth
  workqueue build thumbnails-worker mailers-worker -t dev
`;

const SPECS: FlagSpec[] = [
  { names: ['-t', '--tag'], key: 'tag', value: true },
  { names: ['--stack'], key: 'stack', value: true },
  { names: ['--synth'], key: 'synth', value: false },
  { names: ['--push'], key: 'push', value: false },
];

export async function build(argv: readonly string[]): Promise<number> {
  const { flags, positional } = parseFlags('build', argv, SPECS);
  const tag = tagOption('build', flags, true)!;
  const dir = stackDir({ project: process.cwd(), stack: text(flags, 'stack'), synth: flags.synth === true, progress });
  const images =
    positional.length === 0 ? imageManifests(dir) : imagesOf(appsNamed('build', componentApps(dir), positional));
  const push = flags.push === true;
  // Refused before any build: an image without a registry would go to Docker Hub under its bare name.
  const unpushable = push ? images.filter((image) => image.registry === undefined) : [];
  if (unpushable.length > 0) {
    throw new UsageError(
      `build: --push needs a registry for ${unpushable.map((m) => m.image).join(', ')}: set the registry prop ` +
        "of its construct (e.g. registry: 'registry.example.com:5000/team') and synthesize again",
    );
  }
  for (const [i, image] of images.entries()) {
    const name = `${image.image}:${tag}`;
    progress(`building ${name} (${i + 1}/${images.length})`);
    const args = [
      'build',
      '-t',
      name,
      ...Object.entries(image.buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
      join(dir, image.context),
    ];
    const result = spawnSync('docker', args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (result.error) throw new FatalError(`cannot run docker: ${result.error.message}`);
    if (result.status !== 0) throw new FatalError(`docker build of ${name} failed (exit ${result.status})`);
    if (push) {
      progress(`pushing ${name} (${i + 1}/${images.length})`);
      const pushed = spawnSync('docker', ['push', name], { stdio: ['ignore', 'inherit', 'inherit'] });
      if (pushed.error) throw new FatalError(`cannot run docker: ${pushed.error.message}`);
      if (pushed.status !== 0) throw new FatalError(`docker push of ${name} failed (exit ${pushed.status})`);
    }
  }
  progress(`${push ? 'built and pushed' : 'built'} ${images.map((m) => `${m.image}:${tag}`).join(', ')}`);
  return 0;
}

/** The images the apps run, each once (the nodes of a broker share one). */
function imagesOf(apps: readonly ComponentApp[]): ImageManifest[] {
  const images = new Map(apps.map((app) => [app.manifest.image, app.manifest]));
  return [...images.values()];
}
