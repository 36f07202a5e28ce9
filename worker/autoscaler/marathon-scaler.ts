import { appIdPath } from '../broker/marathon-endpoint';
import type { MarathonClient } from '../marathon/marathon-client';
import type { Fleet } from './fleet';

/**
 * A Marathon app: its `instances` read with GET /v2/apps/ID and set with PUT /v2/apps/ID
 * {"instances": N}. Never forced: a deployment that locks the app (409) is someone's change in
 * progress, and the next evaluation tries again.
 */
export class MarathonScaler implements Fleet {
  readonly name: string;

  constructor(
    private readonly client: MarathonClient,
    private readonly appId: string,
  ) {
    this.name = `Marathon app /${appIdPath(appId)}`;
  }

  current(): Promise<number> {
    return this.client.instances(this.appId);
  }

  async scale(instances: number): Promise<void> {
    await this.client.scale(this.appId, instances, false);
  }
}
