import { readdirSync } from 'node:fs';

import fc from 'fast-check';

import { ROUTES } from '../../src/server/routes.js';
import { readMountinfo } from '../../src/system/mountinfo.js';
import { callPlugin, goJson, rawRequest } from '../support/plugin-client.js';
import type { FuzzRequest } from './requests.js';
import { parseRawReply, replyProblems, type Reply } from './reply-check.js';

/** CI runs a fixed seed; VOLPLEX_FUZZ_SEED replays or explores another. */
export const FUZZ_SEED = Number(process.env.VOLPLEX_FUZZ_SEED ?? '20261204');

const RAW_TIMEOUT_MS = 3000;
// Longer than any call may take (commands are bounded by the configured timeout): past it the daemon hangs.
const CALL_TIMEOUT_MS = 30_000;
const SHRINK_LIMIT_MS = 30_000;

/** How many requests of each hostile input class the fuzz sent, over all runs. */
export class FuzzTally {
  public readonly byClass = new Map<string, number>();
  public readonly accepted = new Map<string, number>();
  public requests = 0;

  public count(request: FuzzRequest, status: number): void {
    this.requests += 1;
    this.byClass.set(request.tag, (this.byClass.get(request.tag) ?? 0) + 1);
    if (status === 200 && request.kind === 'call') {
      const endpoint = request.endpoint.replace(/^\/[A-Za-z]+\./, '');
      this.accepted.set(endpoint, (this.accepted.get(endpoint) ?? 0) + 1);
    }
  }

  public toString(): string {
    const list = (map: Map<string, number>): string => [...map].sort(([a], [b]) => a.localeCompare(b)).map(([key, count]) => `${key}=${count}`).join(' ');
    return `by class: ${list(this.byClass)}; answered 200: ${list(this.accepted)}`;
  }
}

/** What the server accepted in one run, as the fuzz saw it: the volumes created and the mounts counted. */
export class FuzzModel {
  public readonly volumes = new Set<string>();
  public readonly mounts = new Map<string, number>();

  public record(request: FuzzRequest, status: number): void {
    const call = request.kind === 'call' ? { endpoint: request.endpoint, body: request.body } : splitRaw(request.bytes);
    if (status !== 200 || call === undefined) {
      return;
    }
    const route = routeOf(call.endpoint);
    const name = fieldOf(call.body, 'Name');
    if (typeof name !== 'string') {
      return;
    }
    const key = JSON.stringify([name, idOf(call.body)]);
    if (route === ROUTES.create) {
      this.volumes.add(name);
    } else if (route === ROUTES.remove) {
      this.volumes.delete(name);
    } else if (route === ROUTES.mount) {
      this.mounts.set(key, (this.mounts.get(key) ?? 0) + 1);
    } else if (route === ROUTES.unmount && (this.mounts.get(key) ?? 0) > 0) {
      this.mounts.set(key, (this.mounts.get(key) ?? 0) - 1);
    }
  }
}

/** Sends one fuzz request and returns the problems with its reply (none when it keeps the rules). */
export async function exchange(socket: string, request: FuzzRequest, model: FuzzModel, tally: FuzzTally): Promise<string[]> {
  let reply: Reply | undefined;
  if (request.kind === 'call') {
    const response = await withTimeout(callPlugin(socket, request.endpoint, request.body), `${request.endpoint} [${request.tag}]`);
    reply = { status: response.status, contentType: String(response.headers['content-type'] ?? ''), text: response.text };
  } else {
    reply = parseRawReply(await rawRequest(socket, request.bytes, RAW_TIMEOUT_MS));
  }
  model.record(request, reply?.status ?? 0);
  tally.count(request, reply?.status ?? 0);
  return replyProblems(reply, request.kind === 'call' ? request.secret : undefined).map((problem) => `${request.kind === 'call' ? request.endpoint : 'raw'} [${request.tag}]: ${problem}`);
}

/** After a run: the daemon answers, List shows exactly the accepted volumes, the sentinel is empty. */
export async function invariantProblems(socket: string, model: FuzzModel, sentinel: string): Promise<string[]> {
  const problems: string[] = [];
  const alive = await callPlugin(socket, ROUTES.activate, '').catch((error: unknown) => error as Error);
  if (alive instanceof Error || alive.status !== 200) {
    return [`the daemon does not answer: ${alive instanceof Error ? alive.message : alive.text}`];
  }
  const listed = ((await callPlugin(socket, ROUTES.list, goJson({}))).body.Volumes as { Name: string }[]).map((volume) => volume.Name).sort();
  const expected = [...model.volumes].sort();
  if (JSON.stringify(listed) !== JSON.stringify(expected)) {
    problems.push(`List shows ${JSON.stringify(listed)}, the accepted Creates were ${JSON.stringify(expected)}`);
  }
  const made = readdirSync(sentinel);
  if (made.length > 0) {
    problems.push(`something was created in the sentinel directory: ${JSON.stringify(made)}`);
  }
  return problems;
}

/** Unmounts every counted mount and removes every accepted volume, then lists what is still mounted below root and what List still shows. */
export async function tearDown(socket: string, model: FuzzModel, root: string): Promise<string[]> {
  const problems: string[] = [];
  for (const [key, count] of model.mounts) {
    const [Name, ID] = JSON.parse(key) as [string, unknown];
    for (let left = count; left > 0; left -= 1) {
      const reply = await callPlugin(socket, ROUTES.unmount, goJson({ Name, ID }));
      if (reply.status !== 200) {
        problems.push(`Unmount ${key} failed: ${reply.text}`);
      }
    }
    model.mounts.delete(key);
  }
  for (const Name of model.volumes) {
    const reply = await callPlugin(socket, ROUTES.remove, goJson({ Name }));
    if (reply.status === 200) {
      model.volumes.delete(Name);
    } else {
      problems.push(`Remove ${JSON.stringify(Name)} failed: ${reply.text}`);
    }
  }
  const left = (await readMountinfo()).filter((entry) => entry.mountPoint.startsWith(`${root}/`));
  if (left.length > 0) {
    problems.push(`still mounted after the run: ${left.map((entry) => entry.mountPoint).join(', ')}`);
  }
  const listed = (await callPlugin(socket, ROUTES.list, goJson({}))).body.Volumes as unknown[];
  if (listed.length > 0) {
    problems.push(`List still shows ${JSON.stringify(listed)} after every accepted volume was removed`);
  }
  return problems;
}

/** Runs the property under a fixed seed and a time bound; on failure, the error names the seed and the counterexample. */
export async function checkBounded<T>(arbitrary: fc.Arbitrary<T>, predicate: (value: T) => Promise<void>, options: { numRuns: number; timeLimitMs: number }): Promise<{ runs: number; ms: number }> {
  const started = Date.now();
  let runs = 0;
  const property = fc.asyncProperty(arbitrary, async (value) => {
    // The time bound: runs past it are skipped, never cut off half-way (they share one server).
    fc.pre(Date.now() - started < options.timeLimitMs);
    runs += 1;
    await predicate(value);
  });
  // The backstop bounds shrinking too: a failure is reported with what was found by then.
  const plugins = [fc.interruptAfterTimeLimit(options.timeLimitMs + SHRINK_LIMIT_MS)];
  const details = await fc.check(property, { seed: FUZZ_SEED, numRuns: options.numRuns, maxSkipsPerRun: 1_000_000, plugins });
  if (details.failed) {
    const report = fc.defaultReportMessage(details);
    process.stdout.write(`fuzz FAILED with seed ${details.seed} (replay: VOLPLEX_FUZZ_SEED=${details.seed})\n`);
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`fuzz failed with seed ${details.seed}, path ${String(details.counterexamplePath)}:\n${report}\nWhat broke: ${cause}`);
  }
  return { runs, ms: Date.now() - started };
}

async function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`${what}: no reply within ${CALL_TIMEOUT_MS} ms`)); }, CALL_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function routeOf(endpoint: string): string | undefined {
  const path = (endpoint.split('?')[0] ?? '').replace(/\/+$/, '').toLowerCase();
  return Object.values(ROUTES).find((route) => route.toLowerCase() === path);
}

function splitRaw(bytes: string): { endpoint: string; body: string } | undefined {
  const match = /^POST (\S+) HTTP\/1\.[01]\r\n[\s\S]*?\r\n\r\n([\s\S]*)$/.exec(bytes);
  return match === null ? undefined : { endpoint: match[1] ?? '', body: match[2] ?? '' };
}

/** A field as the server reads it: JSON body, field names matched case-insensitively. */
function fieldOf(body: string, name: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) {
    return undefined;
  }
  const record = parsed as Record<string, unknown>;
  if (Object.hasOwn(record, name)) {
    return record[name];
  }
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : record[key];
}

function idOf(body: string): string {
  const id = fieldOf(body, 'ID');
  return typeof id === 'string' ? id : '';
}
