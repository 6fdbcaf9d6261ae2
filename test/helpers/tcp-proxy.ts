import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of a database, to make it unreachable on demand:
 * - `cut()` closes every connection and refuses new ones, `restore()` accepts again;
 * - `stall()` keeps every connection open but answers nothing: the connections open now swallow what they are
 *   sent and never answer again (a half-open connection to a database that hung, or to a host that is gone);
 *   new connections are accepted and held, their bytes unread. `resume()` lets the held connections and all new
 *   ones through; the stalled ones stay silent until their client closes them.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** Client sockets that bridge to the database (not stalled, not held), each with its upstream socket. */
  private readonly bridged = new Map<Socket, Socket>();
  /** Clients accepted during a stall, waiting for `resume()`. */
  private held: Socket[] = [];
  private stalled = false;
  port = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {}

  async start(port = 0): Promise<number> {
    this.server = createServer((client) => {
      this.track(client);
      if (this.stalled) {
        client.pause();
        this.held.push(client);
      } else this.bridge(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.held = [];
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  async restore(): Promise<void> {
    await this.start(this.port);
  }

  /** The connections open now go silent for good; new ones are held until `resume()`. */
  stall(): void {
    this.stalled = true;
    for (const [client, upstream] of this.bridged) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      for (const socket of [client, upstream]) socket.on('data', () => undefined); // read and dropped
    }
    this.bridged.clear();
  }

  /** New connections, and the ones held since `stall()`, reach the database again. */
  resume(): void {
    this.stalled = false;
    const held = this.held;
    this.held = [];
    for (const client of held) if (!client.destroyed) this.bridge(client);
  }

  private bridge(client: Socket): void {
    const upstream = connect(this.targetPort, this.targetHost);
    this.track(upstream);
    client.pipe(upstream).pipe(client);
    client.resume();
    this.bridged.set(client, upstream);
    client.on('close', () => {
      this.bridged.delete(client);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }
}
