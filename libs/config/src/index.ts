export * from './app-config.js';
export * from './load-config.js';
export * from './project.js';
export * from './config.module.js';
export * from './secret-strength.js';
export * from './trust-proxy.js';
