// Loaded before every test file: see esm-bridge.transformer.cjs.
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';

(globalThis as unknown as { __esmBridge: Record<string, unknown> }).__esmBridge = {
  '@nestjs/common': common,
  '@nestjs/core': core,
};
