/** A fleet of workers on a platform that can set its instance count. */
export interface Fleet {
  /** The fleet as messages name it: "Marathon app /jobs-worker", "Swarm service jobs-worker". */
  readonly name: string;
  /** The instances the fleet is set to now. */
  current(): Promise<number>;
  /** Sets the instance count: one call to the platform. */
  scale(instances: number): Promise<void>;
}
