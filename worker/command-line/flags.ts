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

/** How a command's messages name it: "scale: unknown option '-x' (see workqueue scale --help)". */
export interface CommandNaming {
  /** Put before every message ('scale: '); empty for a command of its own, whose errors name it already. */
  readonly prefix: string;
  /** The command line that shows the help ('workqueue scale --help'). */
  readonly help: string;
}

/**
 * Parses `argv` against `specs`; flags and positional words may mix; `--` ends the flags. `command`: a
 * workqueue subcommand's name, or how another command's messages name it.
 */
export function parseFlags(
  command: string | CommandNaming,
  argv: readonly string[],
  specs: readonly FlagSpec[],
): Parsed {
  const naming =
    typeof command === 'string' ? { prefix: `${command}: `, help: `workqueue ${command} --help` } : command;
  const flags: Record<string, string | true> = {};
  const values: Record<string, string[]> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (word === '-h' || word === '--help') throw new HelpRequested(naming.help);
    // '-1' is a (wrong) number for the command to judge, not an option.
    if (!word.startsWith('-') || word === '-' || /^-\d/.test(word)) {
      positional.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    const name = eq === -1 ? word : word.slice(0, eq);
    const spec = specs.find((s) => s.names.includes(name));
    if (!spec) throw new UsageError(`${naming.prefix}unknown option '${name}' (see ${naming.help})`);
    if (!spec.value) {
      flags[spec.key] = true;
      continue;
    }
    const value = eq === -1 ? argv[++i] : word.slice(eq + 1);
    if (value === undefined) throw new UsageError(`${naming.prefix}${name} needs a value (see ${naming.help})`);
    flags[spec.key] = value;
    (values[spec.key] ??= []).push(value);
  }
  return { flags, values, positional };
}

export function text(flags: Parsed['flags'], key: string): string | undefined {
  const v = flags[key];
  return typeof v === 'string' ? v : undefined;
}
