import { DockerEngineError, type DockerEngine } from './docker-engine';
import type { Fleet } from './fleet';

/** What GET /services/{id} answers, the parts the scaler reads; the spec goes back whole. */
interface Service {
  readonly Version?: { readonly Index?: unknown };
  readonly Spec?: { readonly Mode?: { readonly Replicated?: { readonly Replicas?: unknown } } } & Record<
    string,
    unknown
  >;
}

interface Inspected {
  readonly index: number;
  readonly spec: NonNullable<Service['Spec']>;
  readonly replicas: number;
}

/**
 * A Swarm service in replicated mode: its replicas read with GET /services/NAME, and set with POST
 * /services/NAME/update?version=INDEX, the spec just read with Mode.Replicated.Replicas changed and
 * nothing else. The version index makes the engine refuse the update when someone changed the service
 * in between (the next evaluation reads it anew) rather than undo their change.
 */
export class SwarmScaler implements Fleet {
  readonly name: string;
  /** The service as the last current() read it: scale() updates that version. */
  private inspected?: Inspected;

  constructor(
    private readonly engine: DockerEngine,
    private readonly service: string,
  ) {
    this.name = `Swarm service ${service}`;
  }

  async current(): Promise<number> {
    return (await this.inspect()).replicas;
  }

  async scale(instances: number): Promise<void> {
    const { index, spec } = this.inspected ?? (await this.inspect());
    this.inspected = undefined; // the update makes a new version
    const mode = spec.Mode ?? {};
    const updated = { ...spec, Mode: { ...mode, Replicated: { ...mode.Replicated, Replicas: instances } } };
    const path = `/services/${encodeURIComponent(this.service)}/update?version=${index}`;
    await this.engine.call('POST', path, `scaling ${this.name}`, updated);
  }

  private async inspect(): Promise<Inspected> {
    const doing = `reading ${this.name}`;
    const answer = (await this.engine.call('GET', `/services/${encodeURIComponent(this.service)}`, doing)) as
      Service | undefined;
    const index = answer?.Version?.Index;
    const spec = answer?.Spec;
    if (typeof index !== 'number' || !spec) throw new DockerEngineError(`${doing}: the answer has no version or spec`);
    const replicas = spec.Mode?.Replicated?.Replicas;
    if (spec.Mode?.Replicated === undefined) {
      const mode = Object.keys(spec.Mode ?? {}).join(', ') || 'unknown';
      throw new DockerEngineError(`${doing}: its mode is ${mode}, not replicated: only replicated services scale`);
    }
    // The engine leaves Replicas out of a spec that never set it: one replica.
    const count = replicas === undefined ? 1 : replicas;
    if (typeof count !== 'number') throw new DockerEngineError(`${doing}: the answer has no replica count`);
    this.inspected = { index, spec, replicas: count };
    return this.inspected;
  }
}
