import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where each fault test appends its numbers (one JSON line each); RELIABILITY.md quotes them. */
export const REPORT_FILE = process.env.WQ_FAULTS_REPORT ?? join(__dirname, '..', '..', '..', 'faults-report.jsonl');

/** Prints one line of what a fault test saw (duplicates, delays, memory) and keeps it in REPORT_FILE. */
export function report(fault: string, numbers: Record<string, number | string>): void {
  const line = Object.entries(numbers)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  process.stdout.write(`[fault] ${fault}: ${line}\n`);
  appendFileSync(REPORT_FILE, `${JSON.stringify({ fault, ...numbers })}\n`);
}
