import { UsageError } from '../worker/command-line/errors';
import { text, type FlagSpec, type Parsed } from '../worker/command-line/flags';
import { MarathonClient } from '../worker/marathon/marathon-client';

/** The flags every command that changes Marathon apps takes. */
export const MARATHON_FLAGS: readonly FlagSpec[] = [
  { names: ['--marathon'], key: 'marathon', value: true },
  { names: ['--force'], key: 'force', value: false },
  { names: ['--wait'], key: 'wait', value: false },
  { names: ['--timeout'], key: 'timeout', value: true },
];

export interface MarathonOptions {
  readonly client: MarathonClient;
  readonly force: boolean;
  readonly wait: boolean;
  /** How long --wait waits, in seconds. */
  readonly timeoutSeconds: number;
}

/** Reads MARATHON_FLAGS (Marathon from --marathon or $MARATHON_URL, token from $MARATHON_TOKEN), validated. */
export function marathonOptions(command: string, flags: Parsed['flags'], env: NodeJS.ProcessEnv): MarathonOptions {
  const timeoutSeconds = Number(text(flags, 'timeout') ?? 600);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
    throw new UsageError(`${command}: --timeout needs a number of seconds`);
  return {
    client: MarathonClient.fromFlags(text(flags, 'marathon'), env),
    force: flags.force === true,
    wait: flags.wait === true,
    timeoutSeconds,
  };
}
