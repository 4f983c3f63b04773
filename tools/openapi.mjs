// `npm run openapi`: writes the OpenAPI spec of the built app to openapi.json at the repository
// root, without a server, a database or Redis. `--check` exits non-zero when the committed file is
// stale; `--stdout` prints the spec instead. The spec comes from the compiled app
// (apps/api/src/openapi-spec.ts): the @nestjs/swagger CLI plugin, which turns the DTOs'
// JSDoc and validators into schemas, runs only in `nest build`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const GENERATOR = path.join(ROOT, 'dist/apps/api/apps/api/src/openapi-spec.js');
const TARGET = path.join(ROOT, 'openapi.json');

if (!existsSync(GENERATOR)) {
  console.error(`No built app at ${path.relative(ROOT, GENERATOR)}: run npm run build first.`);
  process.exit(1);
}
const { generateOpenApiSpec } = await import(pathToFileURL(GENERATOR).href);
const spec = await generateOpenApiSpec();
if (process.argv.includes('--check')) {
  const committed = existsSync(TARGET) ? readFileSync(TARGET, 'utf8') : '';
  if (committed !== spec) {
    console.error('openapi.json is stale: run `npm run openapi` and commit the result.');
    process.exit(1);
  }
  console.log('openapi.json is up to date.');
} else if (process.argv.includes('--stdout')) {
  process.stdout.write(spec);
} else {
  writeFileSync(TARGET, spec);
  console.log(`Wrote ${TARGET}`);
}
