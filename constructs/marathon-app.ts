import { Construct } from 'constructs';
import { writeOnSynth } from './stack-file';

/** A Marathon app definition: the body of PUT /v2/apps/{id}. */
export type MarathonAppDefinition = Readonly<Record<string, unknown>> & { readonly id: string };

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
    writeOnSynth(
      this,
      `marathon/${MarathonApp.fileName(definition.id)}`,
      () => `${JSON.stringify(definition, null, 2)}\n`,
    );
  }

  /** File name of an app id: '/broker' → 'broker.json', '/jobs/worker' → 'jobs.worker.json'. */
  static fileName(appId: string): string {
    return `${appId.replace(/^\//, '').split('/').join('.')}.json`;
  }
}
