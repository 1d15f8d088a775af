import { mkdirSync, rmdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { createLogger } from '../../src/log/logger.js';
import { createApp } from '../../src/server/app.js';
import { listenOnSocket } from '../../src/server/listen.js';
import type { FakeMounter } from '../fakes/fake-mounter.js';
import { REQUEST_ID, requestIdOfErr } from '../support/err-text.js';
import { createHarness, type Harness } from '../support/harness.js';
import { callPlugin, goJson, rawExchange } from '../support/plugin-client.js';

interface LogLine {
  readonly req?: string;
  readonly msg: string;
  readonly endpoint?: string;
  readonly volume?: string;
}

describe('request ids', () => {
  let harness: Harness<FakeMounter>;
  let server: Server;
  const lines: LogLine[] = [];
  const call = (endpoint: string, body: unknown): ReturnType<typeof callPlugin> => callPlugin(harness.config.socket, endpoint, goJson(body));
  /** The request log line of the last request to `endpoint`. */
  const requestLine = (endpoint: string): LogLine | undefined => lines.filter((line) => line.msg === 'request' && line.endpoint === endpoint).pop();

  beforeAll(async () => {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => {
      chunk.toString().split('\n').filter((text) => text !== '').forEach((text) => lines.push(JSON.parse(text) as LogLine));
    });
    // One logger for the app and the service, as the daemon has.
    const log = createLogger('info', stream);
    // Stale references go at once: the check after Activate has something to do (and log).
    harness = createHarness({ log, config: { docker: { socket: '', checkInterval: 0, staleGrace: 0, newLifetimeAtStart: false } } });
    server = await listenOnSocket(createApp(harness.service, log), harness.config.socket, log);
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    harness.close();
  });

  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

  it('marks every log line of a request with its id, the service\'s own lines too', async () => {
    const device = join(harness.root, 'devices', 'ids');
    mkdirSync(device, { recursive: true });
    expect((await call('/VolumeDriver.Create', { Name: 'ids', Opts: { device } })).body.Err).toBe('');
    await settle();
    const request = requestLine('/VolumeDriver.Create');
    expect(request?.req).toMatch(REQUEST_ID);
    const created = lines.find((line) => line.msg === 'volume created' && line.volume === 'ids');
    expect(created?.req).toBe(request?.req);
  });

  it('ends the Err of a failed request with the id its log lines carry', async () => {
    const device = join(harness.root, 'devices', 'gone');
    mkdirSync(device, { recursive: true });
    expect((await call('/VolumeDriver.Create', { Name: 'gone', Opts: { device } })).body.Err).toBe('');
    rmdirSync(device);
    const failed = await call('/VolumeDriver.Mount', { Name: 'gone', ID: 'a1' });
    await settle();
    expect(failed.status).toBe(400);
    const id = requestIdOfErr(String(failed.body.Err));
    expect(String(failed.body.Err)).toMatch(/^mount gone: device ".*" does not exist; create it first or pass -o create=true \[req [0-9a-f]{6}\]$/);
    expect(requestLine('/VolumeDriver.Mount')).toEqual(expect.objectContaining({ req: id, error: failed.body.Err }));
  });

  it('gives each request its own id', async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, (_, index) => call('/VolumeDriver.Get', { Name: `missing-${index}` })));
    const ids = replies.map((reply) => requestIdOfErr(String(reply.body.Err)));
    expect(ids.every((id) => id !== undefined)).toBe(true);
    expect(new Set(ids).size).toBe(20);
  });

  it('leaves the lines of background work armed by a request without its id', async () => {
    expect((await call('/VolumeDriver.Mount', { Name: 'ids', ID: 'lost' })).body.Err).toBe('');
    harness.holderFinder.answer();
    expect((await call('/Plugin.Activate', {})).status).toBe(200);
    await settle();
    const activate = requestLine('/Plugin.Activate');
    expect(lines.find((line) => line.msg.startsWith('dockerd activated the plugin'))?.req).toBe(activate?.req);
    // The first holder check after Activate runs 1 s later, as no request's work: it drops the reference nobody holds.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const dropped = lines.find((line) => line.msg === 'dropping a reference no running container holds');
    expect(dropped).toBeDefined();
    expect(dropped?.req).toBeUndefined();
    expect(lines.filter((line) => line.req === activate?.req).map((line) => line.msg).sort()).toEqual(['dockerd activated the plugin', 'request']);
  });

  it('gives a request that never reaches express an id too, in its Err and its log line', async () => {
    const reply = await rawExchange(harness.config.socket, 'POST /VolumeDriver.List HTTP/9.9\r\nHost: plugin\r\n\r\n', /\}$/);
    const err = String((JSON.parse(reply.split('\r\n\r\n')[1] ?? '{}') as { Err?: unknown }).Err);
    const id = requestIdOfErr(err);
    expect(id).toMatch(REQUEST_ID);
    await settle();
    expect(lines.find((line) => line.req === id)).toEqual(expect.objectContaining({ msg: 'request rejected before it reached the protocol' }));
  });
});
