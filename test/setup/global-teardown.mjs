import { run } from './jest-global.mjs';

export default () => run('./global-teardown.ts');
