import { Agent, request } from 'node:http';

/** How one batch of requests went: latency percentiles and the server's CPU per request. */
export interface PhaseResult {
  readonly requests: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuMicrosPerRequest: number;
}

export type RequestBody = (index: number) => unknown;

function post(agent: Agent, socketPath: string, endpoint: string, body: string, allowErr: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ agent, socketPath, path: endpoint, method: 'POST', headers: { 'Content-Length': Buffer.byteLength(body), Accept: 'application/vnd.docker.plugins.v1.2+json' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        if (response.statusCode === 200 || allowErr) {
          resolve();
        } else {
          reject(new Error(`${endpoint}: ${String(response.statusCode)} ${Buffer.concat(chunks).toString()}`));
        }
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/**
 * Sends `count` requests, `concurrency` at a time over keep-alive connections, and measures
 * latency and the CPU the server spent (`cpuMicros` reads its counters before and after).
 */
export async function runPhase(socketPath: string, cpuMicros: () => number, endpoint: string, body: RequestBody, count: number, concurrency: number, allowErr = false): Promise<PhaseResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let next = 0;
  const cpuBefore = cpuMicros();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      const started = process.hrtime.bigint();
      await post(agent, socketPath, endpoint, `${JSON.stringify(body(index))}\n`, allowErr);
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu = cpuMicros() - cpuBefore;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requests: count, p50: at(0.5), p99: at(0.99), cpuMicrosPerRequest: cpu / count };
}
