import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv-draft-04';

/** Marathon's own app JSON schema, from ../shared/marathon (see its README). */
const SCHEMA_PATH = join(__dirname, '..', '..', '..', 'shared', 'marathon', 'AppDefinition.json');

export function marathonValidator(): (app: unknown) => string[] {
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
  const validate = ajv.compile(schema);
  return (app) => (validate(app) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`));
}
