import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv-draft-04';

/** Marathon's own app JSON schema, from ../shared/marathon (see its README). */
const SCHEMA_PATH = join(__dirname, '..', '..', '..', 'shared', 'marathon', 'AppDefinition.json');

export function marathonValidator(): (app: unknown) => string[] {
  if (!existsSync(SCHEMA_PATH)) throw new Error(`Marathon's app schema is missing at ${SCHEMA_PATH}: the tests read it from the shared/ folder beside the repository`);
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
  const validate = ajv.compile(schema);
  return (app) => (validate(app) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`));
}
