import type { PrivateBroker } from './private-broker';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { wqPrivateBroker?: PrivateBroker }).wqPrivateBroker?.destroy();
}
