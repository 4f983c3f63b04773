export * from './cache.module.js';
export * from './app-cache.service.js';
export * from './redis-connection.js';
export * from './drop-cached-keys.js';
export * from './cache-store.factory.js';
export * from './redis-throttler.storage.js';
export * from './failure-counter.js';
