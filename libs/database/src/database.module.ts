import { Global, Module } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { DatabaseSeeder } from './database-seeder.js';

@Global()
@Module({
  providers: [PrismaService, DatabaseSeeder],
  exports: [PrismaService],
})
export class DatabaseModule {}
