import { UsageError } from './errors';

/** A flag of a subcommand: its spellings and whether it takes a value. */
export interface FlagSpec {
  readonly names: readonly string[];
  readonly key: string;
  readonly value: boolean;
}

export interface Parsed {
  /** Each flag's value (the last one, when given more than once); true for a switch. */
  readonly flags: Readonly<Record<string, string | true>>;
  /** Every value of each value flag, in order, for flags that may be repeated (status -q A -q B). */
  readonly values: Readonly<Record<string, readonly string[]>>;
  readonly positional: readonly string[];
}

/** Thrown when -h/--help stands among the flags: `main` prints that command's help. */
export class HelpRequested extends Error {}

/** Parses `argv` against `specs`; flags and positional words may mix; `--` ends the flags. */
export function parseFlags(command: string, argv: readonly string[], specs: readonly FlagSpec[]): Parsed {
  const flags: Record<string, string | true> = {};
  const values: Record<string, string[]> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (word === '-h' || word === '--help') throw new HelpRequested(command);
    // '-1' is a (wrong) number for the command to judge, not an option.
    if (!word.startsWith('-') || word === '-' || /^-\d/.test(word)) {
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
    if (value === undefined)
      throw new UsageError(`${command}: ${name} needs a value (see workqueue ${command} --help)`);
    flags[spec.key] = value;
    (values[spec.key] ??= []).push(value);
  }
  return { flags, values, positional };
}

export function text(flags: Parsed['flags'], key: string): string | undefined {
  const v = flags[key];
  return typeof v === 'string' ? v : undefined;
}
