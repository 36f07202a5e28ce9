import { UsageError } from '../worker/errors';

/** A flag of a subcommand: its spellings and whether it takes a value. */
export interface FlagSpec {
  readonly names: readonly string[];
  readonly key: string;
  readonly value: boolean;
}

export interface Parsed {
  readonly flags: Readonly<Record<string, string | true>>;
  readonly positional: readonly string[];
  readonly help: boolean;
}

/** Parses `argv` against `specs`; flags and positional words may mix; `--` ends the flags. */
export function parseFlags(command: string, argv: readonly string[], specs: readonly FlagSpec[]): Parsed {
  const flags: Record<string, string | true> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (word === '-h' || word === '--help') return { flags, positional, help: true };
    if (!word.startsWith('-') || word === '-') {
      positional.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    const name = eq === -1 ? word : word.slice(0, eq);
    const spec = specs.find((s) => s.names.includes(name));
    if (!spec) throw new UsageError(`${command}: unknown option '${name}' (see workqueue ${command} --help)`);
    if (!spec.value) {
      flags[spec.key] = true;
      continue;
    }
    const value = eq === -1 ? argv[++i] : word.slice(eq + 1);
    if (value === undefined) throw new UsageError(`${command}: ${name} needs a value (see workqueue ${command} --help)`);
    flags[spec.key] = value;
  }
  return { flags, positional, help: false };
}

export function text(flags: Parsed['flags'], key: string): string | undefined {
  const v = flags[key];
  return typeof v === 'string' ? v : undefined;
}
