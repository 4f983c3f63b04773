import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The HTTP methods an OpenAPI path item may hold operations for. */
export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;
export type HttpMethod = Uppercase<(typeof HTTP_METHODS)[number]>;

export type SchemaObject = Record<string, unknown> & {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  properties?: Record<string, SchemaObject>;
  required?: string[];
  items?: SchemaObject;
  allOf?: SchemaObject[];
  oneOf?: SchemaObject[];
  anyOf?: SchemaObject[];
};

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: SchemaObject;
}

export interface OperationObject {
  operationId?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: ParameterObject[];
  requestBody?: { required?: boolean; content: Record<string, { schema: SchemaObject }> };
  responses: Record<string, { content?: Record<string, { schema?: SchemaObject }>; headers?: Record<string, unknown> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Partial<Record<(typeof HTTP_METHODS)[number], OperationObject>>>;
  components: { schemas: Record<string, SchemaObject>; headers: Record<string, unknown> };
}

/** One operation of the spec: `name` is `METHOD /path/{param}`, as the tests report it. */
export interface SpecOperation {
  name: string;
  method: HttpMethod;
  path: string;
  operation: OperationObject;
}

export function readSpec(file = 'openapi.json'): OpenApiDocument {
  return JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument;
}

/** Every operation the spec declares (the committed openapi.json by default), in its order. */
export function specOperations(spec: OpenApiDocument = readSpec()): SpecOperation[] {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    HTTP_METHODS.flatMap((method) => {
      const operation = item[method];
      return operation
        ? [{ name: `${method.toUpperCase()} ${path}`, method: method.toUpperCase() as HttpMethod, path, operation }]
        : [];
    }),
  );
}

function walkPathPrefixes(): string[] {
  return (process.env.TEST_WALK_PATHS ?? '').split(',').filter((prefix) => prefix !== '');
}

/** Whether the route walks call every operation (no `TEST_WALK_PATHS`): floors on what they reach hold then. */
export function walksEveryOperation(): boolean {
  return walkPathPrefixes().length === 0;
}

/**
 * The operations the route walks call: all of them, or with `TEST_WALK_PATHS` (comma-separated
 * path prefixes) only those under one of the prefixes. The generator's test sets it to the generated
 * feature's paths in its copy: the walks must cover those with no edit, and the run that generated
 * the feature has walked every other route already.
 */
export function walkedOperations(spec: OpenApiDocument = readSpec()): SpecOperation[] {
  const prefixes = walkPathPrefixes();
  const operations = specOperations(spec);
  return prefixes.length === 0
    ? operations
    : operations.filter((op) => prefixes.some((prefix) => op.path === prefix || op.path.startsWith(`${prefix}/`)));
}

/**
 * The operation's path with every parameter filled: by `known(parentPath)` (say, the id of a
 * resource created at `/v1/widgets` for `/v1/widgets/{id}`), else by an example of its schema.
 */
export function pathOf(
  spec: OpenApiDocument,
  op: SpecOperation,
  known: (parentPath: string) => string | undefined = () => undefined,
): string {
  return op.path.replace(/\{([^}]+)\}/g, (_match, name: string, offset: number) => {
    const schema = op.operation.parameters?.find((p) => p.in === 'path' && p.name === name)?.schema ?? {};
    return encodeURIComponent(known(op.path.slice(0, offset - 1)) ?? String(exampleOf(spec, schema, name)));
  });
}

/** The query parameters an operation declares, by name. */
export function queryParameters(operation: OperationObject): string[] {
  return (operation.parameters ?? [])
    .filter((parameter) => parameter.in === 'query')
    .map((parameter) => parameter.name);
}

/**
 * A value that satisfies `schema` (references, allOf, enums, formats, lengths, bounds, patterns
 * that plain words meet), for requests built from the spec alone. Objects get their required
 * properties, or all of them when none is required (an update that changes something). Throws
 * when a pattern rules out every value it can make: give that field an `example`.
 */
export function exampleOf(spec: OpenApiDocument, schema: SchemaObject, where = 'body'): unknown {
  const resolved = resolve(spec, schema);
  if ('example' in resolved) return resolved.example;
  if ('default' in resolved) return resolved.default;
  if (resolved.enum && resolved.enum.length > 0) return resolved.enum[0];
  const first = resolved.allOf?.[0] ?? resolved.oneOf?.[0] ?? resolved.anyOf?.[0];
  if (first && resolved.type === undefined)
    return exampleOf(spec, { ...first, ...withoutCombinators(resolved) }, where);
  switch (resolved.type) {
    case 'object': {
      const properties = resolved.properties ?? {};
      const names = resolved.required?.length ? resolved.required : Object.keys(properties);
      return Object.fromEntries(
        names.map((name) => [name, exampleOf(spec, properties[name] ?? {}, `${where}.${name}`)]),
      );
    }
    case 'array': {
      const count = Math.max(1, Number(resolved.minItems ?? 1));
      return Array.from({ length: count }, (_, i) => exampleOf(spec, resolved.items ?? {}, `${where}.${i}`));
    }
    case 'integer':
    case 'number': {
      const minimum = Number(resolved.minimum ?? 1);
      return resolved.maximum === undefined ? minimum : Math.min(minimum, Number(resolved.maximum));
    }
    case 'boolean':
      return true;
    case 'string':
      return exampleString(resolved, where);
    default:
      return {};
  }
}

/** The schema of an operation's JSON body, references resolved; undefined when it takes none. */
export function jsonBodySchema(spec: OpenApiDocument, operation: OperationObject): SchemaObject | undefined {
  const schema = operation.requestBody?.content['application/json']?.schema;
  return schema ? resolve(spec, schema) : undefined;
}

/** `schema` with its `$ref`s followed (the properties written next to a reference win). */
export function resolve(spec: OpenApiDocument, schema: SchemaObject): SchemaObject {
  let current = schema;
  for (let depth = 0; current.$ref && depth < 32; depth++) {
    const name = current.$ref.split('/').pop() ?? '';
    current = { ...spec.components.schemas[name], ...withoutRef(current) };
  }
  return current;
}

function withoutRef({ $ref: _ref, ...rest }: SchemaObject): SchemaObject {
  return rest;
}

function withoutCombinators({ allOf: _all, oneOf: _one, anyOf: _any, ...rest }: SchemaObject): SchemaObject {
  return rest;
}

function exampleString(schema: SchemaObject, where: string): string {
  const unique = randomBytes(4).toString('hex');
  const byFormat: Record<string, string> = {
    email: `walk-${unique}@example.com`,
    uuid: randomUUID(),
    'date-time': new Date().toISOString(),
    date: new Date().toISOString().slice(0, 10),
    uri: 'https://example.com/',
    url: 'https://example.com/',
    password: `Quiet-harbor-${unique}`,
  };
  const minLength = Number(schema.minLength ?? 1);
  const maxLength = Number(schema.maxLength ?? Math.max(minLength, 64));
  let value = (schema.format && byFormat[schema.format]) || `walk${unique}`;
  while (value.length < minLength) value += value;
  value = value.slice(0, maxLength);
  if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) {
    throw new Error(`No example for ${where}: "${value}" does not match ${schema.pattern}; give it an \`example\``);
  }
  return value;
}
