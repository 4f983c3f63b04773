#!/usr/bin/env node
// `npm run template:init -- --name acme-api [--title "Acme API"] [--dry-run]`, from the project root.
//
// The project's name and title live in package.json (`name`, `displayName`) and nowhere else: the
// app derives its defaults from them at boot (libs/config/src/project.ts: APP_NAME, so the OpenAPI
// title and the banner, MAIL_FROM, JWT_ISSUER, JWT_AUDIENCE) and Docker Compose names the stack
// after its folder. This renames them there, and where they are recorded: package-lock.json,
// openapi.json's title (as `npm run openapi` would write it) and the README's title.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const USAGE = `Usage: npm run template:init -- --name <name> [--title "<title>"] [--dry-run]

Renames the template in the current directory for your project.

  --name <name>    npm package name in lower-case kebab case, e.g. acme-api (1-214 characters):
                   package.json's "name", the default JWT issuer and audience.
  --title <title>  Human-readable name, e.g. "Acme API" (letters, digits, spaces and . & + / _ -,
                   up to 100 characters): package.json's "displayName", the default APP_NAME (the
                   OpenAPI title) and MAIL_FROM, the README's title. Default: derived from --name
                   (acme-api -> Acme API); kept when --name is the current name.
  --dry-run        Print what would change without writing anything.
  --help           Print this message.

Note the \`--\` after \`npm run template:init\`: without it npm keeps the options for itself.`;

const NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const TITLE_PATTERN = /^[\p{L}\p{N}](?:[\p{L}\p{N} .&+/_-]*[\p{L}\p{N}.])?$/u;
const TITLE_MAX = 100; // APP_NAME's maximum length (libs/config/src/load-config.ts)
/** Words written in capitals when a title is derived from a name. */
const ACRONYM = /^(ai|api|bff|cdn|cli|cms|crm|db|erp|hr|http|id|io|ml|pdf|qa|rest|sdk|sms|sql|ui|url|ux)$/;

class UsageError extends Error {}

function parseArgs(argv) {
  const options = { dryRun: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? argv[i].split(/=(.*)/s) : [argv[i]];
    if (flag === '--help' || flag === '-h') options.help = true;
    else if (flag === '--dry-run' && inline === undefined) options.dryRun = true;
    else if (flag !== '--name' && flag !== '--title') {
      throw new UsageError(flag.startsWith('-') ? `Unknown option ${argv[i]}.` : `Unexpected argument "${flag}".`);
    } else if (flag.slice(2) in options) throw new UsageError(`${flag} given twice.`);
    else if (inline !== undefined) options[flag.slice(2)] = inline;
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) options[flag.slice(2)] = argv[++i];
    else throw new UsageError(`${flag} needs a value.`);
  }
  return options;
}

function nameProblem(name) {
  if (name.length < 1 || name.length > 214) return 'must be 1 to 214 characters long';
  if (!NAME_PATTERN.test(name)) return 'must be lower-case kebab case: words of a-z and 0-9 joined by single hyphens';
  if (builtinModules.includes(name)) return 'is the name of a Node.js core module, which npm refuses';
}

function titleProblem(title) {
  if (title.length < 1 || title.length > TITLE_MAX) return `must be 1 to ${TITLE_MAX} characters long`;
  if (!TITLE_PATTERN.test(title))
    return 'may contain letters, digits, spaces and . & + / _ -, starting with one of the first two';
}

const titleFromName = (name) =>
  name
    .replace(/[a-z0-9]+/g, (w) => (ACRONYM.test(w) ? w.toUpperCase() : w[0].toUpperCase() + w.slice(1)))
    .replaceAll('-', ' ');

/** Rewrites a JSON file written as JSON.stringify(data, null, 2) + newline (npm's and `npm run openapi`'s format). */
function editJson(path, text, mutate) {
  const data = JSON.parse(text);
  if (`${JSON.stringify(data, null, 2)}\n` !== text) throw new Error(`${path} is not formatted as npm writes it`);
  return `${JSON.stringify(mutate(data), null, 2)}\n`;
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every file that records the name or the title, and how it changes. */
const FILES = {
  'package.json': (text, { to }) =>
    editJson('package.json', text, (pkg) => ({ ...pkg, name: to.name, displayName: to.title })),
  'package-lock.json': (text, { from, to }) =>
    editJson('package-lock.json', text, (lock) => {
      for (const entry of [lock, lock.packages?.['']]) if (entry?.name === from.name) entry.name = to.name;
      return lock;
    }),
  'openapi.json': (text, { from, to }) =>
    editJson('openapi.json', text, (spec) => {
      if (spec.info?.title === from.title) spec.info.title = to.title;
      return spec;
    }),
  // The heading, and the first line of the boot banner's sample.
  'README.md': (text, { from, to }) =>
    text.replace(new RegExp(`^(# |  )${escape(from.title)}(?=$| is ready)`, 'gm'), (_, lead) => lead + to.title),
};

function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.help) return console.log(USAGE);
  if (options.name === undefined) throw new UsageError('--name is required.');
  const problem = nameProblem(options.name);
  if (problem) throw new UsageError(`--name "${options.name}" ${problem}.`);

  const root = process.cwd();
  if (!existsSync(join(root, 'package.json'))) throw new Error(`No package.json in ${root}: run it from the root.`);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const from = { name: pkg.name, title: pkg.displayName ?? pkg.name };
  const title = options.title ?? (options.name === from.name ? from.title : titleFromName(options.name));
  const titleIssue = titleProblem(title);
  if (titleIssue) {
    throw new UsageError(
      options.title === undefined
        ? `The title derived from --name, "${title}", ${titleIssue}: pass --title.`
        : `--title "${title}" ${titleIssue}.`,
    );
  }
  const to = { name: options.name, title };

  // Everything is computed before anything is written: an error leaves the files as they were.
  const changed = Object.entries(FILES).flatMap(([path, edit]) => {
    if (!existsSync(join(root, path))) return [];
    const text = readFileSync(join(root, path), 'utf8');
    const next = edit(text, { from, to });
    return next === text ? [] : [[path, next]];
  });
  const heading = `${from.name} -> ${to.name}, "${from.title}" -> "${to.title}"`;
  if (changed.length === 0) return console.log(`template:init: nothing to change (${heading}).`);
  if (!options.dryRun) for (const [path, text] of changed) writeFileSync(join(root, path), text);
  console.log(`template:init: ${heading}${options.dryRun ? ' (dry run: nothing written)' : ''}`);
  for (const [path] of changed) console.log(`  ${path}`);
  if (!options.dryRun) console.log('Review with `git diff`; `npm test` rebuilds and checks everything.');
}

try {
  main();
} catch (error) {
  console.error(`template:init: ${error.message}${error instanceof UsageError ? `\n\n${USAGE}` : ''}`);
  process.exitCode = 1;
}
