/** Progress lines on stderr, so stdout stays for results. */
export function progress(line: string): void {
  process.stderr.write(`workqueue: ${line}\n`);
}
