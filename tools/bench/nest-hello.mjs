// The second baseline of the benchmark: the smallest Nest 12 app on Fastify, one controller with
// one GET route answering `{ "hello": "world" }`, no logger. Plain JS, so it runs without a build:
// the decorators are applied the way TypeScript's compiled output applies them (`Reflect.decorate`).
// PORT (required) and HOST (default 127.0.0.1) come from the environment.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  console.error('nest-hello: set PORT');
  process.exit(1);
}

class HelloController {
  hello() {
    return { hello: 'world' };
  }
}
Reflect.decorate(
  [Get()],
  HelloController.prototype,
  'hello',
  Object.getOwnPropertyDescriptor(HelloController.prototype, 'hello'),
);
Reflect.decorate([Controller()], HelloController);

class HelloModule {}
Reflect.decorate([Module({ controllers: [HelloController] })], HelloModule);

const app = await NestFactory.create(HelloModule, new FastifyAdapter(), { logger: false });
app.enableShutdownHooks();
await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' });
