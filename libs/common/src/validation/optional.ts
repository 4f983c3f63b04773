import { ValidateBy, ValidateIf, type ValidationOptions } from 'class-validator';

/**
 * A body field the client may leave out, but not send as `null`: its other validators are skipped
 * only when it is absent (`undefined`), and `null` is refused (`$property must not be null`) with
 * them. class-validator's `@IsOptional()` skips them for `null` too, so a `{"name":null}` would
 * reach the service as a value no type allows and fail there (a 500, not a 400).
 *
 * For body fields; query parameters arrive as strings (or not at all) and keep `@IsOptional()`. A
 * field that takes `null` on purpose (say, to clear it) keeps `@IsOptional()` and says so in its
 * `@ApiProperty({ nullable: true })`. The field stays optional in OpenAPI: the swagger plugin
 * infers `required` from the `?` of the property.
 */
export function IsOptionalNotNull(options?: ValidationOptions): PropertyDecorator {
  const skipWhenAbsent = ValidateIf((_object, value) => value !== undefined, options);
  const notNull = ValidateBy(
    {
      name: 'isNotNull',
      validator: { validate: (value: unknown) => value !== null, defaultMessage: () => '$property must not be null' },
    },
    options,
  );
  return (target, property) => {
    skipWhenAbsent(target, property);
    notNull(target, property);
  };
}
