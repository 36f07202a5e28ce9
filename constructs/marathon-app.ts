import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';

/** A Marathon app definition: the body of PUT /v2/apps/{id}. */
export type MarathonAppDefinition = Readonly<Record<string, unknown>> & { readonly id: string };

/** cdktf calls onSynthesize of constructs carrying this symbol (what TerraformAsset uses too). */
const CUSTOM_SYNTHESIS = Symbol.for('cdktf/customSynthesis');

interface SynthesisSession {
  readonly outdir: string;
  readonly manifest: { forStack(stack: TerraformStack): { workingDirectory: string } };
}

/**
 * Writes one Marathon app definition to cdktf.out/stacks/<stack>/marathon/<app-id>.json during
 * `cdktf synth`, beside the stack's Terraform JSON.
 */
export class MarathonApp extends Construct {
  constructor(
    scope: Construct,
    id: string,
    readonly definition: MarathonAppDefinition,
  ) {
    super(scope, id);
    const stack = TerraformStack.of(this);
    Object.defineProperty(this, CUSTOM_SYNTHESIS, {
      enumerable: false,
      value: {
        onSynthesize: (session: SynthesisSession) => {
          const dir = join(session.outdir, session.manifest.forStack(stack).workingDirectory, 'marathon');
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, MarathonApp.fileName(definition.id)), `${JSON.stringify(definition, null, 2)}\n`);
        },
      },
    });
  }

  /** File name of an app id: '/broker' → 'broker.json', '/jobs/worker' → 'jobs.worker.json'. */
  static fileName(appId: string): string {
    return `${appId.replace(/^\//, '').split('/').join('.')}.json`;
  }
}
