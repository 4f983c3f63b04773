import { existsSync } from 'node:fs';
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AppConfig } from './app-config.js';

/**
 * Makes the validated configuration injectable everywhere: as the typed {@link AppConfig}
 * (preferred: `config.database.url`) and through @nestjs/config's `ConfigService`
 * (`configService.get('cache.keyPrefix', { infer: true })`) for libraries that expect it.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [
        // The environment was already read and validated by loadConfig(); ConfigModule only
        // exposes the result, so it must neither read .env again nor re-expand variables.
        ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ ...config })], cache: true }),
      ],
      providers: [{ provide: AppConfig, useValue: config }],
      exports: [AppConfig, ConfigModule],
    };
  }
}

/**
 * Reads `.env` from the working directory into `process.env` (values already set in the
 * environment win) and returns the environment to validate.
 */
export function readEnvironment(envFile = '.env'): NodeJS.ProcessEnv {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  return process.env;
}
