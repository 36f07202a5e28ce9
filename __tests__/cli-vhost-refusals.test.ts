import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokerUrl, managementUrl, uniqueQueue } from './helpers/amqp';
import { runCli } from './helpers/cli-process';
import { runWorker } from './helpers/worker-process';

/** A call to the test broker's management API (users and permissions). */
async function management(method: string, path: string, body?: unknown): Promise<void> {
  const base = new URL(managementUrl());
  const auth = Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString(
    'base64',
  );
  const response = await fetch(`${base.protocol}//${base.host}${path}`, {
    method,
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok && !(method === 'DELETE' && response.status === 404))
    throw new Error(`${method} ${path}: ${response.status}`);
}

/** The test broker's URL with another login and vhost. */
function urlWith(user: string | undefined, password: string | undefined, vhost: string): string {
  const url = new URL(brokerUrl());
  if (user !== undefined) url.username = encodeURIComponent(user);
  if (password !== undefined) url.password = encodeURIComponent(password);
  url.pathname = `/${encodeURIComponent(vhost)}`;
  return url.toString();
}

describe('a vhost the broker refuses ends the worker and the CLI at once, naming the vhost, exit 1', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'wq-cli-vhost-'));
  // GIVEN a user with a password but no permissions on any vhost
  const user = `wq-test-noperm-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(9).toString('hex');
  beforeAll(() => management('PUT', `/api/users/${encodeURIComponent(user)}`, { password, tags: '' }));
  afterAll(async () => {
    await management('DELETE', `/api/users/${encodeURIComponent(user)}`);
    rmSync(cwd, { recursive: true, force: true });
  });

  const missingVhost = `wq-test-no-such-vhost-${randomBytes(4).toString('hex')}`;
  it.each([
    ['a vhost that does not exist', () => urlWith(undefined, undefined, missingVhost), missingVhost],
    ['a user without permissions on the vhost', () => urlWith(user, password, '/'), '/'],
  ])('%s', async (_what, url, vhost) => {
    const queue = uniqueQueue('vhost');
    const line = new RegExp(
      `refused vhost '${vhost}' to user '[^']+': the vhost does not exist, or the user has no permissions on it$`,
    );
    // WHEN the worker starts with that URL (a connect timeout far beyond a first attempt)
    const worker = await runWorker(['-u', url(), '-q', queue, '--connect-timeout', '120', '--', 'cat'], {}, 20_000);
    // THEN it stops at once, with one line and no retries, exit 1
    expect(worker.code).toBe(1);
    const errors = worker.stderr.trim().split('\n');
    expect(errors).toEqual([expect.stringMatching(line)]);
    expect(worker.stdout).not.toMatch(/retrying/);
    expect(worker.stderr).not.toContain(password);
    // AND publish says the same, exit 1
    const publish = await runCli(['publish', '-q', queue, '-u', url()], { cwd, input: 'x\n' });
    expect({ code: publish.code, lines: publish.stderr.trim().split('\n') }).toEqual({
      code: 1,
      lines: [expect.stringMatching(line)],
    });
    expect(publish.stderr).not.toContain(password);
  });
});
