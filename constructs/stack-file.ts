import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';

/** cdktf calls onSynthesize of constructs carrying this symbol (what TerraformAsset uses too). */
const CUSTOM_SYNTHESIS = Symbol.for('cdktf/customSynthesis');

interface SynthesisSession {
  readonly outdir: string;
  readonly manifest: { forStack(stack: TerraformStack): { workingDirectory: string } };
}

/** Writes a file at `path` (relative to cdktf.out/stacks/<stack>) when the stack is synthesized. */
export function writeOnSynth(construct: Construct, path: string, content: () => string): void {
  const stack = TerraformStack.of(construct);
  Object.defineProperty(construct, CUSTOM_SYNTHESIS, {
    enumerable: false,
    value: {
      onSynthesize: (session: SynthesisSession) => {
        const file = join(session.outdir, session.manifest.forStack(stack).workingDirectory, path);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, content());
      },
    },
  });
}
