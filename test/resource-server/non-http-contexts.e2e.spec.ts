import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, MessagePattern, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { WsAdapter } from '@nestjs/platform-ws';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { AddressInfo } from 'node:net';
import { lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DpopBound, DpopModule, type DpopModuleOptions } from '../../lib/index.js';
import { MemoryLogger } from '../helpers/guard-app.js';
import { freePort } from '../helpers/sample-app.js';

// @DpopBound() never passes silently outside HTTP: a WebSocket gateway and a microservice handler are refused
// with their context's own error, and one log line names the handler.
const options: DpopModuleOptions = {
  allowedHosts: ['localhost'],
  accessToken: { type: 'custom', verify: () => ({ sub: 'alice', cnf: { jkt: 'A'.repeat(43) } }) },
};

@WebSocketGateway({ path: '/ws' })
@DpopBound()
class ChatGateway {
  @SubscribeMessage('hello')
  hello() {
    return { event: 'hello', data: 'world' };
  }
}

@Controller()
class MathController {
  @MessagePattern('sum')
  @DpopBound()
  sum(numbers: number[]) {
    return numbers.reduce((a, b) => a + b, 0);
  }

  @MessagePattern('open')
  open() {
    return 'open';
  }
}

describe('@DpopBound() outside HTTP', () => {
  it('a WebSocket gateway handler is refused (WsException), the handler never runs', async () => {
    @Module({ imports: [DpopModule.forRoot(options)], providers: [ChatGateway] })
    class WsModule {}
    const logger = new MemoryLogger();
    const app = await NestFactory.create(WsModule, { logger });
    app.useWebSocketAdapter(new WsAdapter(app));
    await app.listen(0, '127.0.0.1');
    try {
      const { port } = app.getHttpServer().address() as AddressInfo;
      const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      const reply = new Promise<Record<string, unknown>>((resolve) =>
        socket.once('message', (data) => resolve(JSON.parse(String(data)) as Record<string, unknown>)),
      );
      socket.send(JSON.stringify({ event: 'hello', data: {} }));
      expect(await reply).toMatchObject({ event: 'exception', data: { status: 'error', message: 'Unauthorized' } });
      expect(JSON.stringify(await reply)).not.toContain('world');
      socket.close();
      const lines = logger.lines.filter((l) => l.level === 'error' && /ChatGateway\.hello/.test(l.message));
      expect(lines).toHaveLength(1);
      expect(lines[0]!.message).toMatch(/"ws" handler/);
    } finally {
      await app.close();
    }
  });

  it('a microservice (TCP) handler is refused (RpcException); an unmarked one still answers', async () => {
    @Module({ imports: [DpopModule.forRoot(options)], controllers: [MathController] })
    class RpcModule {}
    const port = await freePort();
    const logger = new MemoryLogger();
    const service = await NestFactory.createMicroservice<MicroserviceOptions>(RpcModule, {
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
      logger,
    });
    await service.listen();
    const client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
    try {
      await expect(lastValueFrom(client.send('sum', [1, 2]))).rejects.toMatchObject({ message: 'Unauthorized' });
      expect(await lastValueFrom(client.send('open', {}))).toBe('open');
      expect(
        logger.lines.some((l) => l.level === 'error' && /MathController\.sum.*"rpc" handler/.test(l.message)),
      ).toBe(true);
    } finally {
      client.close();
      await service.close();
    }
  });
});
