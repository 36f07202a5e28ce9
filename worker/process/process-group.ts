import { readdirSync, readFileSync } from 'node:fs';

/** Sends `signal` to every process of group `pgid`; a group that is already gone is fine. */
export function signalGroup(pgid: number | undefined, signal: NodeJS.Signals): void {
  if (pgid === undefined) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone, which is what we wanted.
  }
}

/** How often a process group that is being stopped is checked for members still running. */
const GROUP_POLL_MS = 50;

/**
 * The one way a program is stopped: TERM by `send` (to its group, or through its launcher before the
 * group is known) after `termAfterMs`, then KILL `killAfterMs` later to what ignored it. Returns a
 * cancel, for a program that ended first. The timers do not keep the worker alive on their own.
 */
export function stopInStages(send: (signal: NodeJS.Signals) => void, killAfterMs: number, termAfterMs = 0): () => void {
  let killTimer: NodeJS.Timeout | undefined;
  const term = () => {
    send('SIGTERM');
    killTimer = setTimeout(() => send('SIGKILL'), killAfterMs).unref();
  };
  const termTimer = termAfterMs > 0 ? setTimeout(term, termAfterMs).unref() : undefined;
  if (termTimer === undefined) term();
  return () => {
    clearTimeout(termTimer);
    clearTimeout(killTimer);
  };
}

/**
 * Ends what is left of group `pgid`: TERM now, KILL after `killAfterMs` to whatever ignored it.
 * Resolves once no process of the group runs. Processes that left the group (setsid) are not seen.
 */
export function reapGroup(pgid: number | undefined, killAfterMs: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  return groupGone(pgid, killAfterMs);
}

/**
 * Resolves once no process of group `pgid` runs, sending KILL after `killAfterMs` to what is left;
 * for a group that has had its TERM already.
 */
export function groupGone(pgid: number | undefined, killAfterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const killer = setTimeout(() => signalGroup(pgid, 'SIGKILL'), killAfterMs);
    const check = () => {
      if (groupRunning(pgid)) return void setTimeout(check, GROUP_POLL_MS);
      clearTimeout(killer);
      resolve();
    };
    check();
  });
}

/**
 * True while a process of group `pgid` still runs. Zombies do not count: orphans are reaped by
 * PID 1, which on some machines takes seconds, and a zombie holds nothing.
 */
export function groupRunning(pgid: number | undefined): boolean {
  if (pgid === undefined) return false;
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}
