'use strict';
// `nest g feature <name>`: a Prisma-backed, owner-scoped CRUD feature in the house layout.
// CommonJS on purpose: @angular-devkit/schematics loads factories with require() (see ../package.json).
const {
  SchematicsException,
  apply,
  applyTemplates,
  chain,
  mergeWith,
  move,
  noop,
  url,
  filter,
} = require('@angular-devkit/schematics');
const { strings } = require('@angular-devkit/core');

const APP_SOURCE_ROOT = 'apps/api/src';
const APP_MODULE = `${APP_SOURCE_ROOT}/app.module.ts`;
const PRISMA_SCHEMA = 'prisma/schema.prisma';
const API_TAGS = `${APP_SOURCE_ROOT}/core/openapi/tags.ts`;

/** Regular English plurals: widget -> widgets, category -> categories, box -> boxes, bus -> buses. */
function pluralize(word) {
  if (/[^aeiou]y$/i.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/i.test(word)) return `${word}es`;
  return `${word}s`;
}

/** Every spelling the templates need, from a singular name in any case (`order-item`, `OrderItem`). */
function names(options) {
  const singular = strings.dasherize(String(options.name).trim());
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(singular)) {
    throw new SchematicsException(
      `"${options.name}" is not a valid feature name: use letters and digits, e.g. "widget" or "order-item".`,
    );
  }
  const plural = options.plural ? strings.dasherize(String(options.plural).trim()) : pluralize(singular);
  if (plural === singular)
    throw new SchematicsException(`The plural of "${singular}" must differ from it; pass --plural.`);
  return {
    singular, // order-item: file names
    plural, // order-items: folder, route
    Singular: strings.classify(singular), // OrderItem: Prisma model, DTOs, error
    Plural: strings.classify(plural), // OrderItems: module, controller, service, repository
    singularCamel: strings.camelize(singular), // orderItem: Prisma delegate
    pluralCamel: strings.camelize(plural), // orderItems: back-relation on User
    table: strings.underscore(plural), // order_items: @@map
    CODE: strings.underscore(singular).toUpperCase(), // ORDER_ITEM: error codes
    singularWords: singular.replaceAll('-', ' '), // order item: messages and docs
    pluralWords: plural.replaceAll('-', ' '),
  };
}

function readText(tree, path) {
  const buffer = tree.read(path);
  if (!buffer) throw new SchematicsException(`${path} not found: run the generator from the repository root.`);
  return buffer.toString('utf8');
}

/** Imports the module in app.module.ts and lists it in AppModule's imports array. */
function registerModule(n) {
  return (tree) => {
    const className = `${n.Plural}Module`;
    let source = readText(tree, APP_MODULE);
    if (new RegExp(`\\b${className}\\b`).test(source)) return tree;
    const imports = [...source.matchAll(/^import [^;]+;$/gms)];
    if (imports.length === 0) throw new SchematicsException(`No import statement in ${APP_MODULE}.`);
    const lastImport = imports[imports.length - 1];
    const at = lastImport.index + lastImport[0].length;
    source = `${source.slice(0, at)}\nimport { ${className} } from './${n.plural}/${n.plural}.module.js';${source.slice(at)}`;
    const array = /(\n([ \t]*)imports: \[)([\s\S]*?)(\n[ \t]*\],)/.exec(source);
    if (!array)
      throw new SchematicsException(`No "imports: [...]" array in ${APP_MODULE}; register ${className} by hand.`);
    const entries = array[3];
    const indent = /\n([ \t]+)\S/.exec(entries)?.[1] ?? `${array[2]}  `;
    const body = `${entries.replace(/,?\s*$/, ',')}\n${indent}${className},`;
    source = source.slice(0, array.index) + array[1] + body + array[4] + source.slice(array.index + array[0].length);
    tree.overwrite(APP_MODULE, source);
    return tree;
  };
}

/** Lists the feature's OpenAPI tag, with a description, in API_TAGS. */
function registerTag(n) {
  return (tree) => {
    const source = readText(tree, API_TAGS);
    if (new RegExp(`^\\s+'?${n.plural}'?:`, 'm').test(source)) return tree;
    const end = source.lastIndexOf('\n};');
    if (end < 0)
      throw new SchematicsException(`No "API_TAGS = { ... };" in ${API_TAGS}; add the ${n.plural} tag by hand.`);
    const key = /^[a-z][a-z0-9]*$/.test(n.plural) ? n.plural : `'${n.plural}'`;
    const entry = `\n  ${key}: "The caller's ${n.pluralWords}",`;
    tree.overwrite(API_TAGS, source.slice(0, end) + entry + source.slice(end));
    return tree;
  };
}

/** Appends the model and adds its back-relation to `model User`. */
function addPrismaModel(n) {
  return (tree) => {
    let schema = readText(tree, PRISMA_SCHEMA);
    if (new RegExp(`^model ${n.Singular} \\{`, 'm').test(schema)) {
      throw new SchematicsException(`${PRISMA_SCHEMA} already has a model ${n.Singular}.`);
    }
    const user = /^model User \{\n([\s\S]*?)\n\}/m.exec(schema);
    if (!user) throw new SchematicsException(`${PRISMA_SCHEMA} has no model User.`);
    const lines = user[1].split('\n');
    const fieldLines = lines.filter(
      (line) => /^\s+\w+\s+\S/.test(line) && !/^\s*@@/.test(line) && !/^\s*\/\//.test(line),
    );
    const column = /^(\s+\w+\s+)/.exec(fieldLines[0] ?? '  x ')[1].length;
    const field = `  ${n.pluralCamel}`.padEnd(Math.max(column, n.pluralCamel.length + 3)) + `${n.Singular}[]`;
    const lastField = lines.lastIndexOf(fieldLines[fieldLines.length - 1]);
    lines.splice(lastField + 1, 0, field);
    schema =
      schema.slice(0, user.index) + `model User {\n${lines.join('\n')}\n}` + schema.slice(user.index + user[0].length);
    const model = [
      `/// A ${n.singularWords} owned by one user (generated by \`nest g feature ${n.singular}\`).`,
      `model ${n.Singular} {`,
      '  id          String   @id @default(uuid(7)) @db.Uuid',
      '  ownerId     String   @db.Uuid',
      '  owner       User     @relation(fields: [ownerId], references: [id], onDelete: Cascade)',
      '  name        String',
      '  description String?',
      '  createdAt   DateTime @default(now())',
      '  updatedAt   DateTime @updatedAt',
      '',
      '  @@index([ownerId, createdAt, id])',
      `  @@map("${n.table}")`,
      '}',
    ].join('\n');
    tree.overwrite(PRISMA_SCHEMA, `${schema.replace(/\s*$/, '')}\n\n${model}\n`);
    return tree;
  };
}

exports.feature = function feature(options) {
  return (tree, context) => {
    const n = names(options);
    if (tree.exists(`${APP_SOURCE_ROOT}/${n.plural}/${n.plural}.module.ts`)) {
      throw new SchematicsException(`${APP_SOURCE_ROOT}/${n.plural}/ already exists.`);
    }
    const withSpecs = options.spec !== false;
    const templates = apply(url('./files'), [
      withSpecs ? noop() : filter((path) => !/\.(spec|e2e-spec)\.ts\.template$/.test(path)),
      applyTemplates({ ...n }),
      move('/'),
    ]);
    context.logger.info(
      `Next: npm run db:generate && npm run db:migration -- add_${n.table} && npm run openapi && npm run client, then npm test`,
    );
    return chain([
      mergeWith(templates),
      options.skipImport === true ? noop() : registerModule(n),
      registerTag(n),
      addPrismaModel(n),
    ]);
  };
};
