import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './load-config.js';
import { PROJECT, readProjectIdentity } from './project.js';

const dirs: string[] = [];
/** A folder holding only a package.json with `fields`. */
function packageDir(fields: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'project-identity-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify(fields));
  return dir;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe(readProjectIdentity.name, () => {
  it("reads the name and the title from package.json's name and displayName", () => {
    const sut = readProjectIdentity(packageDir({ name: 'acme-api', displayName: 'Acme API' }));

    expect(sut).toEqual({ name: 'acme-api', title: 'Acme API' });
  });

  it('falls back to the name as the title without a displayName', () => {
    expect(readProjectIdentity(packageDir({ name: 'acme-api' }))).toEqual({ name: 'acme-api', title: 'acme-api' });
    expect(readProjectIdentity(packageDir({ name: 'acme-api', displayName: '' })).title).toBe('acme-api');
  });

  it('refuses a package.json without a name', () => {
    expect(() => readProjectIdentity(packageDir({ displayName: 'Acme API' }))).toThrow(/has no "name"/);
  });

  it("is the repository's package.json for the app (PROJECT), and the variables still win over it", () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { name: string; displayName: string };
    expect(PROJECT).toEqual({ name: pkg.name, title: pkg.displayName });

    const sut = loadConfig({ APP_NAME: 'Other', JWT_ISSUER: 'issuer', JWT_AUDIENCE: 'audience', MAIL_FROM: 'a@b.c' });

    expect([sut.app.name, sut.auth.jwtIssuer, sut.auth.jwtAudience, sut.mail.from]).toEqual([
      'Other',
      'issuer',
      'audience',
      'a@b.c',
    ]);
  });
});
