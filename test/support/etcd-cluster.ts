import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';


/** PEM files: the CA, and the certificate and key the members serve (and clients must show) with. */
export interface ClusterTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

interface Member {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  process: ChildProcess | undefined;
}

/**
 * A real etcd cluster of Debian's etcd-server on loopback (ENVIRONMENT.md "etcd"): each member
 * with its own data directory below `dir` and free ports. Members can be killed (-9) and started
 * again on their data, to test quorum loss and recovery.
 */
export class EtcdCluster {
  readonly #dir: string;
  readonly #members: Member[];
  readonly #tls: ClusterTls | undefined;

  private constructor(dir: string, members: Member[], tls: ClusterTls | undefined) {
    this.#dir = dir;
    this.#members = members;
    this.#tls = tls;
  }

  /** Starts `size` members and waits until every one is healthy; with `tls`, clients speak https and must show a certificate of the CA. */
  public static async start(dir: string, size = 3, tls?: ClusterTls): Promise<EtcdCluster> {
    const ports = await freePorts(2 * size);
    const members: Member[] = Array.from({ length: size }, (_, index) => ({
      name: `m${index + 1}`,
      clientUrl: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${ports[2 * index] ?? 0}`,
      peerUrl: `http://127.0.0.1:${ports[2 * index + 1] ?? 0}`,
      process: undefined,
    }));
    const cluster = new EtcdCluster(dir, members, tls);
    // A test file that fails before its afterAll must not leave members running (nor keep jest alive).
    process.once('exit', () => { members.forEach((member) => member.process?.kill('SIGKILL')); });
    for (let index = 0; index < size; index += 1) {
      cluster.#launch(index);
    }
    try {
      await Promise.all(members.map((_, index) => cluster.waitHealthy(index)));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Client URLs of every member, for store.etcd.endpoints. */
  public get endpoints(): string[] {
    return this.#members.map((member) => member.clientUrl);
  }

  /** kill -9 of one member; waits until it is gone. */
  public async kill(index: number): Promise<void> {
    const child = this.#member(index).process;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // Unreferenced while it runs (a failed test file must not hang on it); waited for now.
    child.ref();
    child.kill('SIGKILL');
    await exited;
    this.#member(index).process = undefined;
  }

  /** Starts a killed member again on its data directory and waits until it answers. */
  public async restart(index: number): Promise<void> {
    this.#launch(index);
    await this.waitHealthy(index);
  }

  /** Until the member says it is healthy (it has a leader and answers), or 30 s. */
  public async waitHealthy(index: number, timeoutMs = 30_000): Promise<void> {
    const member = this.#member(index);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await healthy(member.clientUrl, this.#tls)) {
        return;
      }
      if (member.process?.exitCode !== null) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`etcd member ${member.name} is not healthy: ${readFileSync(this.#log(member), 'utf8').split('\n').slice(-10).join('\n')}`);
  }

  public async stop(): Promise<void> {
    await Promise.all(this.#members.map((_, index) => this.kill(index)));
  }

  #launch(index: number): void {
    const member = this.#member(index);
    const dataDir = join(this.#dir, member.name);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const log = openSync(this.#log(member), 'a');
    const initialCluster = this.#members.map((other) => `${other.name}=${other.peerUrl}`).join(',');
    member.process = spawn('etcd', [
      '--name', member.name, '--data-dir', dataDir,
      '--listen-peer-urls', member.peerUrl, '--initial-advertise-peer-urls', member.peerUrl,
      '--listen-client-urls', member.clientUrl, '--advertise-client-urls', member.clientUrl,
      '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', this.#dir,
      '--logger', 'zap', '--log-level', 'warn',
      ...(this.#tls === undefined ? [] : ['--cert-file', this.#tls.cert, '--key-file', this.#tls.key, '--trusted-ca-file', this.#tls.ca, '--client-cert-auth']),
    ], { stdio: ['ignore', log, log] });
    member.process.unref();
    closeSync(log);
  }

  #member(index: number): Member {
    const member = this.#members[index];
    if (member === undefined) {
      throw new Error(`no etcd member ${index}`);
    }
    return member;
  }

  #log(member: Member): string {
    return join(this.#dir, `${member.name}.log`);
  }
}

function healthy(clientUrl: string, tls: ClusterTls | undefined): Promise<boolean> {
  const options = tls === undefined ? { timeout: 1000 } : { timeout: 1000, ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key) };
  return new Promise((resolve) => {
    const request = (tls === undefined ? get : httpsGet)(`${clientUrl}/health`, options, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => { resolve(response.statusCode === 200 && body.includes('"health":"true"')); });
    });
    request.on('error', () => { resolve(false); });
    request.on('timeout', () => { request.destroy(); });
  });
}

/** `count` distinct loopback ports nobody listens on: all held open until every one is picked. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => { resolve(server); });
  })));
  const ports = servers.map((server) => { const address = server.address(); return typeof address === 'object' && address !== null ? address.port : 0; });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
