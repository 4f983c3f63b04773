// Jest transformer for CommonJS packages that require() ESM-only packages (@nestjs/throttler
// requires @nestjs/common and @nestjs/core, which are ESM-only since Nest 12).
//
// Node 20.19 allows require(esm) and the application uses it; Jest's own module loader does not
// (before Node 24.9). This rewrites those require() calls to read the modules that
// test/setup/esm-bridge.setup.ts imported through Jest's ESM loader, so the package sees the very
// same @nestjs/common and @nestjs/core instances as the tests (DI tokens are class identities).
const BRIDGED = ['@nestjs/common', '@nestjs/core'];

module.exports = {
  process(source) {
    let code = source;
    for (const name of BRIDGED) {
      code = code.split(`require("${name}")`).join(`globalThis.__esmBridge[${JSON.stringify(name)}]`);
    }
    return { code };
  },
  getCacheKey(source, path) {
    return `esm-bridge-v1:${path}:${require('node:crypto').createHash('sha256').update(source).digest('hex')}`;
  },
};
