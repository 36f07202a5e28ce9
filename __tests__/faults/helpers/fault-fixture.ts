import { TestBroker } from '../../helpers/amqp';
import type { WorkerProcess } from '../../helpers/worker-process';
import { Ledger } from './ledger';

/** What each fault test gets fresh: a producer on the test broker, a ledger, and its workers (killed afterwards). */
export interface FaultFixture {
  readonly broker: TestBroker;
  readonly ledger: Ledger;
  readonly workers: WorkerProcess[];
}

/** Registers the beforeEach/afterEach that set up and tear down a FaultFixture; read its fields inside tests. */
export function useFaultFixture(): FaultFixture {
  const fixture = { workers: [] as WorkerProcess[] } as {
    broker: TestBroker;
    ledger: Ledger;
    workers: WorkerProcess[];
  };
  beforeEach(async () => {
    fixture.broker = await TestBroker.open();
    fixture.ledger = new Ledger();
  });
  afterEach(async () => {
    for (const w of fixture.workers.splice(0)) w.child.kill('SIGKILL');
    await fixture.broker.close();
    fixture.ledger.remove();
  });
  return fixture;
}
