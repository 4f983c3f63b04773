// Jest loads globalSetup/globalTeardown outside its module system (no moduleNameMapper, no ESM
// transform), so they are loaded through tsx, which understands the TypeScript sources directly.
import { tsImport } from 'tsx/esm/api';

export async function run(file) {
  const module = await tsImport(file, import.meta.url);
  await module.default();
}
