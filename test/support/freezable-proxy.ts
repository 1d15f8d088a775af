import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy to a real server that a test can freeze (connections are accepted
 * and held, nothing is forwarded: a server that went silent) or stop (connections are
 * refused: a server that is down).
 */
export class FreezableProxy {
  readonly #server: Server;
  readonly #upstreamPort: number;
  readonly #sockets = new Set<Socket>();
  #frozen = false;
  #port = 0;

  private constructor(upstreamPort: number) {
    this.#upstreamPort = upstreamPort;
    this.#server = createServer((client) => { this.#accept(client); });
  }

  public static async start(upstreamPort: number, port = 0): Promise<FreezableProxy> {
    const proxy = new FreezableProxy(upstreamPort);
    await new Promise<void>((resolve) => proxy.#server.listen(port, '127.0.0.1', resolve));
    proxy.#port = (proxy.#server.address() as AddressInfo).port;
    return proxy;
  }

  public get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  public get port(): number {
    return this.#port;
  }

  /** From now on nothing gets through, in either direction, on old or new connections. */
  public freeze(): void {
    this.#frozen = true;
    this.#sockets.forEach((socket) => { socket.pause(); });
  }

  /** Drops what was held (clients see a reset and retry) and forwards again. */
  public thaw(): void {
    this.#frozen = false;
    this.#sockets.forEach((socket) => { socket.destroy(); });
  }

  /** Closes the port: connections are refused until start() is called again on it. */
  public async stop(): Promise<void> {
    this.#sockets.forEach((socket) => { socket.destroy(); });
    await new Promise<void>((resolve) => this.#server.close(() => { resolve(); }));
  }

  #accept(client: Socket): void {
    this.#track(client);
    if (this.#frozen) {
      client.pause();
      return;
    }
    const upstream = connect(this.#upstreamPort, '127.0.0.1');
    this.#track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', closeBoth).on('close', closeBoth);
    upstream.on('error', closeBoth).on('close', closeBoth);
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
  }
}
