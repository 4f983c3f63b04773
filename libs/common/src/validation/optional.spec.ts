import { describe, expect, it } from 'vitest';
import { plainToInstance } from 'class-transformer';
import { IsIn, IsString, validate } from 'class-validator';
import { IsOptionalNotNull } from './optional.js';

class Body {
  @IsOptionalNotNull()
  @IsString()
  name?: string;

  @IsOptionalNotNull()
  @IsIn(['A', 'B'])
  kind?: string;
}

const errorsOf = async (plain: object) =>
  (await validate(plainToInstance(Body, plain))).map((error) => [
    error.property,
    Object.values(error.constraints ?? {}),
  ]);

describe(IsOptionalNotNull.name, () => {
  it('skips the other validators when the field is left out', async () => {
    expect(await errorsOf({})).toEqual([]);
  });

  it('validates a value that is sent', async () => {
    expect(await errorsOf({ name: 'x', kind: 'A' })).toEqual([]);
    expect(await errorsOf({ kind: 'C' })).toEqual([['kind', ['kind must be one of the following values: A, B']]]);
  });

  it('refuses null, with the other validators', async () => {
    expect(await errorsOf({ name: null, kind: null })).toEqual([
      ['name', expect.arrayContaining(['name must not be null', 'name must be a string'])],
      ['kind', expect.arrayContaining(['kind must not be null'])],
    ]);
  });
});
