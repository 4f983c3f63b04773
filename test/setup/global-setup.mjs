import { run } from './jest-global.mjs';

export default () => run('./global-setup.ts');
