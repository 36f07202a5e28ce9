import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Testing, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { MarathonAppDefinition } from '../../constructs';
import type { ComponentManifest } from '../../constructs/component-manifest';

/** A fresh stack in a test app. */
export function testStack(): TerraformStack {
  return new TerraformStack(Testing.app() as App, 'test');
}

/** The message of what `build` throws in a fresh stack; fails the test when nothing is thrown. */
export function errorOf(build: (stack: Construct) => void): string {
  try {
    build(testStack());
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('nothing was thrown');
}

/** Builds a stack with `build`, fully synthesizes it, and returns its Terraform JSON and files. */
export function synthesize(build: (stack: Construct) => void): {
  stack: TerraformStack;
  json: string;
  dir: string;
  marathon: Record<string, MarathonAppDefinition>;
} {
  const stack = testStack();
  build(stack);
  const json = Testing.synth(stack);
  const outdir = Testing.fullSynth(stack);
  const dir = join(outdir, 'stacks', 'test');
  return { stack, json, dir, marathon: marathonApps(dir) };
}

/**
 * A project folder as the CLI finds it after `cdktf synth`: the stack `build` makes, synthesized into
 * cdktf.out/stacks/test of a new temporary folder (named after `prefix`), which it returns.
 */
export function synthesizedProject(prefix: string, build: (stack: Construct) => void): string {
  const { dir } = synthesize(build);
  const root = mkdtempSync(join(tmpdir(), `${prefix}-`));
  cpSync(dir, join(root, 'cdktf.out', 'stacks', 'test'), { recursive: true });
  return root;
}

/** The Marathon app files of a synthesized stack directory, by file name; none off the marathon target. */
export function marathonApps(stackDir: string): Record<string, MarathonAppDefinition> {
  const dir = join(stackDir, 'marathon');
  if (!existsSync(dir)) return {};
  return Object.fromEntries(
    readdirSync(dir).map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as MarathonAppDefinition]),
  );
}

/** The target-neutral manifests (images/<image>.json) of a synthesized stack directory, by image name. */
export function imageManifests(stackDir: string): Record<string, ComponentManifest> {
  const dir = join(stackDir, 'images');
  return Object.fromEntries(
    readdirSync(dir).map((f) => [
      f.replace(/\.json$/, ''),
      JSON.parse(readFileSync(join(dir, f), 'utf8')) as ComponentManifest,
    ]),
  );
}

/** Resources of one type in synthesized Terraform JSON. */
export function resources(json: string, type: string): Record<string, Record<string, unknown>> {
  return (
    ((JSON.parse(json) as { resource?: Record<string, Record<string, Record<string, unknown>>> }).resource ?? {})[
      type
    ] ?? {}
  );
}
