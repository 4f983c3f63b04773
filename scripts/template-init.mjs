#!/usr/bin/env node
// Renames the template for the project adopting it, in the current directory (the project root:
// `npm run` starts scripts there).
//
//   npm run template:init -- --name acme-api                      title derived: "Acme API"
//   npm run template:init -- --name acme-api --title "Acme API"
//   npm run template:init -- --name acme-api --dry-run            print, write nothing
//
// The current names are read from the files themselves (package.json's `name`, the APP_NAME
// default of libs/config/src/load-config.ts), so running it again, or with the current name,
// changes nothing. Every edit is targeted (a default, an image name, a heading), never a global
// search and replace; FILES below lists them all. Internal identifiers are left alone: the test
// and benchmark database names (test/setup/test-env.ts, bench/) and the schematics package.

import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

const USAGE = `Usage: npm run template:init -- --name <name> [--title "<title>"] [--dry-run]

Renames the template in the current directory for your project.

  --name <name>    npm package name in lower-case kebab case, e.g. acme-api (1-214 characters).
                   Used for package.json, package-lock.json, the JWT issuer and audience
                   defaults, the Docker image name and the docker compose project name.
  --title <title>  Human-readable name, e.g. "Acme API" (letters, digits, spaces and . & + / _ -,
                   up to 100 characters). Used for the APP_NAME default (the OpenAPI title), the
                   MAIL_FROM default, the README heading and openapi.json.
                   Default: derived from --name (acme-api -> Acme API); kept when --name is the
                   current name.
  --dry-run        Print what would change without writing anything.
  --help           Print this message.

Note the \`--\` after \`npm run template:init\`: without it npm keeps the options for itself.`;

const NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const TITLE_PATTERN = /^[\p{L}\p{N}](?:[\p{L}\p{N} .&+/_-]*[\p{L}\p{N}.])?$/u;
const TITLE_MAX = 100; // APP_NAME's maximum length in load-config.ts
/** Words written in capitals when a title is derived from a name. */
const ACRONYMS = new Set([
  'ai',
  'api',
  'bff',
  'cdn',
  'cli',
  'cms',
  'crm',
  'db',
  'erp',
  'hr',
  'http',
  'id',
  'io',
  'ml',
  'pdf',
  'qa',
  'rest',
  'sdk',
  'sms',
  'sql',
  'ui',
  'url',
  'ux',
]);
/** Left alone on purpose; printed so nobody wonders why. */
const INTERNAL_NOTE =
  'Left alone on purpose: the test and benchmark database names (test/setup/test-env.ts, bench/) ' +
  'and the schematics package name are internal.';
/** Directories the leftover scan skips: dependencies, build output, local state. */
const SCAN_SKIP = new Set(['node_modules', '.git', 'dist', '.data', 'coverage', 'results', 'generated']);

class UsageError extends Error {}

// --- arguments ---------------------------------------------------------------------------

function parseArgs(argv) {
  const options = { name: undefined, title: undefined, dryRun: false, help: false };
  const seen = new Set();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    if (flag === '--help' || flag === '-h') {
      options.help = true;
      continue;
    }
    if (flag === '--dry-run') {
      if (eq !== -1) throw new UsageError('--dry-run takes no value.');
      options.dryRun = true;
      continue;
    }
    if (flag !== '--name' && flag !== '--title') {
      throw new UsageError(arg.startsWith('-') ? `Unknown option ${flag}.` : `Unexpected argument "${arg}".`);
    }
    if (seen.has(flag)) throw new UsageError(`${flag} given twice.`);
    seen.add(flag);
    let value;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
    else throw new UsageError(`${flag} needs a value.`);
    options[flag.slice(2)] = value;
  }
  return options;
}

function nameProblem(name) {
  if (name.length < 1 || name.length > 214) return 'must be 1 to 214 characters long';
  if (!NAME_PATTERN.test(name)) {
    return 'must be lower-case kebab case: words of a-z and 0-9 joined by single hyphens (acme-api)';
  }
  if (builtinModules.includes(name)) return 'is the name of a Node.js core module, which npm refuses';
  return undefined;
}

function titleProblem(title) {
  if (title.length < 1 || title.length > TITLE_MAX) return `must be 1 to ${TITLE_MAX} characters long`;
  if (!TITLE_PATTERN.test(title)) {
    return 'may contain letters, digits, spaces and . & + / _ -, and must start with a letter or digit';
  }
  return undefined;
}

function titleFromName(name) {
  return name
    .split('-')
    .map((word) => (ACRONYMS.has(word) ? word.toUpperCase() : word.charAt(0).toUpperCase() + word.slice(1)))
    .join(' ');
}

// --- edits ---------------------------------------------------------------------------------

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `name` as a whole token: not part of a longer name, path or host (`x/name`, `name.example`). */
const nameToken = (name) =>
  new RegExp(`(?<![A-Za-z0-9_./@-])${escapeRegExp(name)}(?![A-Za-z0-9_/@-]|\\.[A-Za-z0-9])`, 'g');
/** `title` as a whole phrase: not preceded or followed by a letter or digit. */
const titleToken = (title) => new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(title)}(?![\\p{L}\\p{N}])`, 'gu');

/** Applies `pattern`; returns the new text and how many matches were replaced by something else. */
function substitute(text, pattern, replacer) {
  let count = 0;
  const next = text.replace(pattern, (...match) => {
    // A string replacer may use $1-$9 for the pattern's groups (names and titles hold no `$`).
    const replacement =
      typeof replacer === 'function'
        ? replacer(...match)
        : replacer.replace(/\$(\d)/g, (_, group) => match[Number(group)] ?? '');
    if (replacement !== match[0]) count++;
    return replacement;
  });
  return { text: next, count };
}

/**
 * A file being edited: `replace` records what changed, so the report says exactly what each
 * edit did and an edit that matches nothing stays silent.
 */
class FileEdit {
  constructor(path, text) {
    this.path = path;
    this.original = text;
    this.text = text;
    this.changes = [];
  }

  replace(what, pattern, replacer) {
    const result = substitute(this.text, pattern, replacer);
    this.text = result.text;
    if (result.count > 0) this.changes.push(result.count > 1 ? `${what} (x${result.count})` : what);
  }

  /** Edits the file's JSON without reformatting it: `mutate` changes `data` and returns what it changed. */
  editJson(mutate) {
    const data = JSON.parse(this.text);
    const changes = mutate(data);
    if (changes.length === 0) return;
    const indent = /^([ \t]+)"/m.exec(this.text)?.[1] ?? 2;
    const eol = this.text.endsWith('\n') ? '\n' : '';
    const expected = JSON.stringify(data, null, indent) + eol;
    if (JSON.stringify(JSON.parse(this.text), null, indent) + eol === this.text) {
      // Formatted the way npm and `npm run openapi` write it: serialising again changes only the fields.
      this.text = expected;
    } else {
      throw new Error(
        `${this.path} is not formatted as JSON.stringify(..., null, ${JSON.stringify(indent)}); change ${changes.join(', ')} by hand`,
      );
    }
    this.changes.push(...changes);
  }
}

/** Every file the rename touches, and how. `from`/`to` hold the old and new name and title. */
const FILES = [
  {
    path: 'package.json',
    edit(file, { from, to }) {
      file.editJson((data) => {
        if (data.name !== from.name || from.name === to.name) return [];
        data.name = to.name;
        return ['name'];
      });
    },
  },
  {
    path: 'package-lock.json',
    edit(file, { from, to }) {
      file.editJson((data) => {
        if (from.name === to.name) return [];
        const changes = [];
        if (data.name === from.name) {
          data.name = to.name;
          changes.push('name');
        }
        const root = data.packages?.[''];
        if (root?.name === from.name) {
          root.name = to.name;
          changes.push('packages[""].name');
        }
        return changes;
      });
    },
  },
  {
    path: 'libs/config/src/load-config.ts',
    edit(file, { from, to }) {
      const defaultOf = (variable, value, after = "'\\)") =>
        new RegExp(`(\\b${variable}:[^\\n]*?\\.default\\(')${escapeRegExp(value)}(?=${after})`, 'g');
      if (from.title !== undefined) {
        file.replace('APP_NAME default', defaultOf('APP_NAME', from.title), `$1${to.title}`);
        file.replace('MAIL_FROM default', defaultOf('MAIL_FROM', from.title, ' <'), `$1${to.title}`);
      }
      file.replace('JWT_ISSUER default', defaultOf('JWT_ISSUER', from.name), `$1${to.name}`);
      file.replace('JWT_AUDIENCE default', defaultOf('JWT_AUDIENCE', from.name), `$1${to.name}`);
    },
  },
  {
    path: 'docker-compose.yml',
    edit(file, { from, to }) {
      const defaultOf = (variable, value, after = '\\}') =>
        new RegExp(`(\\$\\{${variable}:?-)${escapeRegExp(value)}(?=${after})`, 'g');
      if (from.title !== undefined) {
        file.replace('APP_NAME default', defaultOf('APP_NAME', from.title), `$1${to.title}`);
        file.replace('MAIL_FROM default', defaultOf('MAIL_FROM', from.title, ' <'), `$1${to.title}`);
      }
      file.replace('JWT_ISSUER default', defaultOf('JWT_ISSUER', from.name), `$1${to.name}`);
      file.replace('JWT_AUDIENCE default', defaultOf('JWT_AUDIENCE', from.name), `$1${to.name}`);
      file.replace(
        `image ${from.name}:* -> ${to.name}:*`,
        new RegExp(`^([ \\t]+image:[ \\t]*["']?)${escapeRegExp(from.name)}(?=(:[\\w][\\w.-]*)?["']?[ \\t]*$)`, 'gm'),
        `$1${to.name}`,
      );
      if (from.name === to.name) return;
      // The compose project name prefixes container, network and volume names.
      const line = `name: ${to.name}`;
      if (/^name:.*$/m.test(file.text)) {
        file.replace('project name', /^name:.*$/m, line);
        return;
      }
      const lines = file.text.split('\n');
      let at = 0;
      while (at < lines.length && lines[at].startsWith('#')) at++;
      const block = ['# Compose project name: the prefix of the container, network and volume names.', line, ''];
      if (at === 0) lines.splice(0, 0, ...block);
      else if (lines[at] === '') lines.splice(at + 1, 0, ...block);
      else lines.splice(at, 0, '', ...block);
      file.text = lines.join('\n');
      file.changes.push('project name (added)');
    },
  },
  {
    path: 'Dockerfile',
    edit(file, { from, to }) {
      // Only the header comment (before the first instruction) names the image.
      const end = file.text.search(/^(?!#|[ \t]*$)/m);
      const header = end === -1 ? file.text : file.text.slice(0, end);
      const result = substitute(header, nameToken(from.name), to.name);
      if (result.count === 0) return;
      file.text = result.text + (end === -1 ? '' : file.text.slice(end));
      file.changes.push(
        result.count > 1 ? `image name in the header comment (x${result.count})` : 'image name in the header comment',
      );
    },
  },
  {
    path: '.env.example',
    edit(file, { from, to }) {
      if (from.title !== undefined) {
        const title = escapeRegExp(from.title);
        file.replace('APP_NAME example', new RegExp(`^(#?[ \\t]*APP_NAME=)${title}$`, 'gm'), `$1${to.title}`);
        file.replace('MAIL_FROM example', new RegExp(`^(#?[ \\t]*MAIL_FROM=)${title}(?= <)`, 'gm'), `$1${to.title}`);
        file.replace(
          'documented title defaults',
          new RegExp(`^(#.*\\bDefault: )${title}(?=\\.?$| <)`, 'gm'),
          `$1${to.title}`,
        );
      }
      const name = escapeRegExp(from.name);
      file.replace(
        'JWT_ISSUER/JWT_AUDIENCE examples',
        new RegExp(`^(#?[ \\t]*JWT_(?:ISSUER|AUDIENCE)=)${name}$`, 'gm'),
        `$1${to.name}`,
      );
      file.replace('documented name defaults', new RegExp(`^(#.*\\bDefault: )${name}(?=\\.?$)`, 'gm'), `$1${to.name}`);
    },
  },
  {
    path: 'README.md',
    edit(file, { from, to }) {
      if (from.title !== undefined) {
        file.replace('title', /^# (.+)$/m, (line, heading) =>
          heading.trim() === from.title || heading.trim() === from.name ? `# ${to.title}` : line,
        );
      }
      // Names in code (commands, configuration defaults), never in prose.
      const inCode = (code) => {
        let next = substitute(code, nameToken(from.name), to.name);
        let count = next.count;
        if (from.title !== undefined) {
          next = substitute(next.text, titleToken(from.title), to.title);
          count += next.count;
        }
        return { text: next.text, count };
      };
      const lines = file.text.split('\n');
      let fence;
      let blocks = 0;
      let spans = 0;
      for (let i = 0; i < lines.length; i++) {
        const marker = /^ {0,3}(`{3,}|~{3,})/.exec(lines[i])?.[1];
        if (fence === undefined && marker) {
          fence = marker;
          continue;
        }
        if (fence !== undefined) {
          if (marker && marker[0] === fence[0] && marker.length >= fence.length && lines[i].trim() === marker)
            fence = undefined;
          else {
            const result = inCode(lines[i]);
            lines[i] = result.text;
            blocks += result.count;
          }
          continue;
        }
        lines[i] = lines[i].replace(/`([^`]+)`/g, (span, code) => {
          const result = inCode(code);
          spans += result.count;
          return `\`${result.text}\``;
        });
      }
      file.text = lines.join('\n');
      if (blocks > 0) file.changes.push(`names in code blocks (x${blocks})`);
      if (spans > 0) file.changes.push(`names in inline code: configuration defaults, commands (x${spans})`);
    },
  },
  {
    path: 'openapi.json',
    edit(file, { from, to }) {
      if (from.title === undefined) return;
      file.editJson((data) => {
        if (data.info?.title !== from.title || from.title === to.title) return [];
        data.info.title = to.title;
        return ['info.title'];
      });
    },
  },
  {
    // Asserts the default issuer and audience of the access tokens.
    path: 'test/auth-access-tokens.e2e-spec.ts',
    edit(file, { from, to }) {
      file.replace('expected JWT issuer/audience', new RegExp(`'${escapeRegExp(from.name)}'`, 'g'), `'${to.name}'`);
    },
  },
];

// --- current names, leftovers ----------------------------------------------------------------

function currentTitle(root) {
  const path = join(root, 'libs/config/src/load-config.ts');
  if (existsSync(path)) {
    const match = /\bAPP_NAME:[^\n]*?\.default\('([^'\\\n]*)'\)/.exec(readFileSync(path, 'utf8'));
    if (match) return match[1];
  }
  const spec = join(root, 'openapi.json');
  if (existsSync(spec)) {
    const title = JSON.parse(readFileSync(spec, 'utf8')).info?.title;
    if (typeof title === 'string') return title;
  }
  return undefined;
}

/** Files outside FILES that still mention an old name, as `path:line` (at most `limit`). */
function leftovers(root, patterns, skip, limit = 20) {
  const found = [];
  const tests = patterns.map((pattern) => new RegExp(pattern.source, pattern.flags.replace('g', '')));
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (found.length >= limit) return;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SCAN_SKIP.has(entry.name)) walk(path);
        continue;
      }
      const rel = relative(root, path).split('\\').join('/');
      if (!entry.isFile() || skip.has(rel) || statSync(path).size > 5_000_000) continue;
      const text = readFileSync(path, 'utf8');
      if (text.includes('\u0000')) continue;
      text.split('\n').forEach((line, index) => {
        if (found.length < limit && tests.some((test) => test.test(line))) {
          found.push(`${rel}:${index + 1}`);
        }
      });
    }
  };
  walk(root);
  return found;
}

// --- main -----------------------------------------------------------------------------------

function main() {
  const root = process.cwd();
  const options = parseArgs(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  if (options.name === undefined) throw new UsageError('--name is required.');
  const problem = nameProblem(options.name);
  if (problem) throw new UsageError(`--name "${options.name}" ${problem}.`);

  const packagePath = join(root, 'package.json');
  if (!existsSync(packagePath)) throw new Error(`No package.json in ${root}: run this from the project root.`);
  const fromName = JSON.parse(readFileSync(packagePath, 'utf8')).name;
  if (typeof fromName !== 'string' || fromName === '') throw new Error('package.json has no "name" to rename.');
  const fromTitle = currentTitle(root);

  const toTitle =
    options.title ?? (options.name === fromName && fromTitle !== undefined ? fromTitle : titleFromName(options.name));
  const titleIssue = titleProblem(toTitle);
  if (titleIssue) {
    throw new UsageError(
      options.title === undefined
        ? `The title derived from --name, "${toTitle}", ${titleIssue}: pass --title.`
        : `--title "${toTitle}" ${titleIssue}.`,
    );
  }

  const names = { from: { name: fromName, title: fromTitle }, to: { name: options.name, title: toTitle } };
  const edits = [];
  const missing = [];
  for (const spec of FILES) {
    const path = join(root, spec.path);
    if (!existsSync(path)) {
      missing.push(spec.path);
      continue;
    }
    const file = new FileEdit(spec.path, readFileSync(path, 'utf8'));
    spec.edit(file, names);
    if (file.text !== file.original) edits.push(file);
  }

  const heading =
    `${fromName} -> ${options.name}` + (fromTitle === undefined ? '' : `, "${fromTitle}" -> "${toTitle}"`);
  if (edits.length === 0) {
    const same = fromName === options.name && fromTitle === toTitle;
    console.log(
      same
        ? `template:init: nothing to change: already ${fromName}${fromTitle === undefined ? '' : ` ("${fromTitle}")`}.`
        : `template:init: nothing to change (${heading}): none of the files mention the current names.`,
    );
    return 0;
  }
  // Everything is computed before anything is written: an error above leaves the files as they were.
  if (!options.dryRun) for (const file of edits) writeFileSync(join(root, file.path), file.text);

  console.log(`template:init: ${heading}${options.dryRun ? ' (dry run: nothing written)' : ''}`);
  const width = Math.max(...edits.map((file) => file.path.length));
  for (const file of edits) console.log(`  ${file.path.padEnd(width)}  ${file.changes.join(', ')}`);
  for (const path of missing) console.log(`  ${path.padEnd(width)}  not found, skipped`);
  console.log(INTERNAL_NOTE);

  const patterns = [
    ...(fromName !== options.name ? [nameToken(fromName)] : []),
    ...(fromTitle !== undefined && fromTitle !== toTitle ? [titleToken(fromTitle)] : []),
  ];
  const left = patterns.length === 0 ? [] : leftovers(root, patterns, new Set(FILES.map((spec) => spec.path)));
  if (left.length > 0) {
    console.log(
      `Still mentioning the old name or title, outside the files above (review them):\n  ${left.join('\n  ')}`,
    );
  }
  if (!options.dryRun) console.log('Review with `git diff`; `npm test` rebuilds and checks everything.');
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`template:init: ${error.message}\n\n${USAGE}`);
  } else {
    console.error(`template:init: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exitCode = 1;
}
