import { Module } from '@nestjs/common';
import { ShutdownState } from './shutdown-state.js';

/** The instance's shutdown state: one per app, read by the HTTP hooks and the readiness probe. */
@Module({ providers: [ShutdownState], exports: [ShutdownState] })
export class ShutdownModule {}
