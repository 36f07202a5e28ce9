import type { ChannelModel } from 'amqplib';

/**
 * Makes sure `name` exists. An existing queue is used as it is, whatever its arguments (the
 * broker's own definitions may have declared it as a quorum queue, with limits...), so no
 * PRECONDITION_FAILED; a missing one is declared durable. Uses throwaway channels because a
 * failed passive declare closes its channel. `args`: a missing queue's arguments (a delay queue's TTL...).
 */
export async function ensureQueue(
  connection: ChannelModel,
  name: string,
  args?: Record<string, unknown>,
): Promise<'existed' | 'declared'> {
  const probe = await connection.createChannel();
  probe.on('error', () => undefined); // the 404 below arrives here too; it is handled by the catch
  try {
    await probe.checkQueue(name);
    await probe.close();
    return 'existed';
  } catch (err) {
    if (!/NOT_FOUND|404/.test(String((err as Error).message))) throw err;
  }
  const declare = await connection.createChannel();
  try {
    await declare.assertQueue(name, { durable: true, arguments: args });
  } finally {
    await declare.close();
  }
  return 'declared';
}
