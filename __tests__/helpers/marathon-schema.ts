import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv-draft-04';

/**
 * Marathon's own app JSON schema: $MARATHON_APP_SCHEMA, else ../shared/marathon/AppDefinition.json
 * beside the repository (see shared/'s README). A clone with nothing beside it has neither: then
 * only the checks against the schema are skipped, with one line saying so; .ci/run always has it.
 */
const SCHEMA_PATH =
  process.env.MARATHON_APP_SCHEMA || join(__dirname, '..', '..', '..', 'shared', 'marathon', 'AppDefinition.json');

/** True when Marathon's schema is there to check against. */
export function marathonSchemaFound(): boolean {
  if (existsSync(SCHEMA_PATH)) return true;
  process.stderr.write(
    `tests: Marathon's app schema is not at ${SCHEMA_PATH}: checks against it are skipped; ` +
      'set MARATHON_APP_SCHEMA=/path/to/AppDefinition.json (or put shared/ beside the repository) to run them\n',
  );
  return false;
}

/** Errors of an app against Marathon's schema; none when the schema is missing (marathonSchemaFound says so). */
export function marathonValidator(): (app: unknown) => string[] {
  if (!marathonSchemaFound()) return () => [];
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
  const validate = ajv.compile(schema);
  return (app) =>
    validate(app) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}
