// `node --import ./test/utils/module-recorder.mjs app.js` with MODULE_RECORD_FILE=<file>: appends the
// URL of every module the process loads to that file, one per line. ES modules are recorded as they
// load (by a load hook, test/utils/module-recorder-hooks.mjs); CommonJS modules, which Node 20 loads
// without the hooks when one requires another, are added from the require cache when the process
// gets SIGTERM or SIGINT and when it exits.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const file = process.env.MODULE_RECORD_FILE;
if (!file) throw new Error('module-recorder: set MODULE_RECORD_FILE');

register('./module-recorder-hooks.mjs', import.meta.url, { data: { file } });

const requireCache = createRequire(import.meta.url).cache;
function recordCommonJs() {
  const urls = Object.keys(requireCache).map((filename) => pathToFileURL(filename).href);
  appendFileSync(file, urls.map((url) => `${url}\n`).join(''));
}
// `once`: the app's own handlers stay in charge of shutting down (and of re-raising the signal).
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, recordCommonJs);
process.once('exit', recordCommonJs);
