import { Module } from '@nestjs/common';
import { DatabaseSeeder } from './database-seeder.js';

/** Seeds the database at boot when `database.seedOnBoot` is on. */
@Module({ providers: [DatabaseSeeder], exports: [DatabaseSeeder] })
export class SeedModule {}
