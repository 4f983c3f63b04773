import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Response } from 'light-my-request';
import { readSpec, type HTTP_METHODS, type OpenApiDocument } from './openapi-spec.js';

interface HeaderObject {
  required?: boolean;
  $ref?: string;
}

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv,
) => Ajv;

/**
 * Checks real responses against the committed openapi.json: the status is declared for the
 * operation, a JSON body validates against the declared schema (OpenAPI 3.0 `nullable`
 * included), and every header the spec marks required is present.
 */
export class OpenApiConformance {
  private readonly spec: OpenApiDocument;
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(file = 'openapi.json') {
    this.spec = readSpec(file);
    this.ajv = new Ajv({ allErrors: true, strict: false, formats: { int32: true, int64: true, password: true } });
    addFormats(this.ajv);
    // Ajv reads OpenAPI 3.0's `nullable: true` itself (the value may also be null).
    this.ajv.addSchema({ components: { schemas: this.spec.components.schemas } }, 'spec');
  }

  /** What is wrong with `res` as an answer of `operation` (`GET /v1/users/{id}`); empty when nothing. */
  problems(operation: string, res: Response): string[] {
    const [method = '', path = ''] = operation.split(' ');
    const declared = this.spec.paths[path]?.[method.toLowerCase() as (typeof HTTP_METHODS)[number]];
    if (!declared) return [`${operation} is not in the spec`];
    const response = declared.responses[String(res.statusCode)];
    if (!response) return [`${operation} answered ${res.statusCode}, which it does not declare`];

    const problems: string[] = [];
    for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, HeaderObject>)) {
      const headers = this.spec.components.headers as Record<string, HeaderObject | undefined>;
      const resolved = header.$ref ? headers[header.$ref.split('/').pop() ?? ''] : header;
      if (resolved?.required && res.headers[name.toLowerCase()] === undefined) {
        problems.push(`${operation} ${res.statusCode}: required header ${name} is missing`);
      }
    }
    const contentType = String(res.headers['content-type'] ?? '').split(';')[0] ?? '';
    if (res.body === '') return problems;
    const media = response.content?.[contentType];
    if (!media) {
      problems.push(`${operation} ${res.statusCode}: answered ${contentType || 'a body'}, which it does not declare`);
      return problems;
    }
    if (!contentType.endsWith('json')) return problems;
    const validate = this.validator(`${operation} ${res.statusCode} ${contentType}`, media.schema ?? {});
    if (!validate(JSON.parse(res.body))) {
      problems.push(`${operation} ${res.statusCode}: ${this.ajv.errorsText(validate.errors)}`);
    }
    return problems;
  }

  private validator(key: string, schema: Record<string, unknown>): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      // Component references point into the registered spec document.
      const rebased = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"spec#/components/')) as object;
      validate = this.ajv.compile(rebased);
      this.validators.set(key, validate);
    }
    return validate;
  }
}
