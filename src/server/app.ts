import express, { type Request, type Response } from 'express';

import { printable } from '../base/quote.js';
import type { VolumeService, VolumeSummary } from '../core/volume-service.js';
import type { Logger } from '../log/logger.js';
import { errorResponse, unknownEndpoint } from './error-response.js';
import { decodeBody, decodeId, decodeName, decodeOpts } from './protocol.js';
import { enterRequest } from './request-id.js';
import { requestLog } from './request-log.js';
import { MAX_BODY_BYTES, ROUTES } from './routes.js';

type Handler = (body: Readonly<Record<string, unknown>>, response: Response) => Promise<object> | object;
type Endpoint = (request: Request, response: Response) => Promise<void>;

/**
 * The protocol over HTTP: decode → service → encode. Success is 200 with JSON, always. The
 * service may still be loading (the socket answers first): requests wait for it, but for
 * Activate and Capabilities, which answer at once.
 */
export function createApp(loading: VolumeService | Promise<VolumeService>, log: Logger, scope: 'local' | 'global' = 'local'): express.Express {
  const ready = Promise.resolve(loading);
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(requestLog(log));
  app.use(express.raw({ type: () => true, limit: MAX_BODY_BYTES }));
  app.use(enterRequest);
  // One route and a table of endpoints: a request finds its handler in one lookup, not by trying each route in turn.
  const endpoints = new Map<string, Endpoint>();
  app.post('/{*endpoint}', (request, response, next) => {
    const endpoint = endpoints.get(request.path);
    if (endpoint === undefined) {
      next();
      return undefined;
    }
    return endpoint(request, response);
  });

  const handle = (path: string, handler: Handler): void => {
    endpoints.set(path, async (request, response) => {
      const result = await handler(decodeBody(request.body), response);
      response.status(200).json({ ...result, Err: '' });
    });
  };
  // Decoded fields also go to the request log line.
  const named = (body: Readonly<Record<string, unknown>>, response: Response): string => {
    const name = decodeName(body);
    response.locals.volume = printable(name);
    return name;
  };
  const mountId = (body: Readonly<Record<string, unknown>>, response: Response): string => {
    const id = decodeId(body);
    response.locals.id = printable(id);
    return id;
  };

  // Taken in order: every request after this one finds the new dockerd lifetime begun.
  handle(ROUTES.activate, () => {
    void ready.then((service) => { service.activate(); });
    return { Implements: ['VolumeDriver'] };
  });
  // scope is fixed at start.
  handle(ROUTES.capabilities, () => ({ Capabilities: { Scope: scope } }));
  handle(ROUTES.create, async (body, response) => {
    const name = named(body, response);
    const opts = decodeOpts(body);
    await (await ready).create(name, opts);
    return {};
  });
  handle(ROUTES.get, async (body, response) => {
    const name = named(body, response);
    const volume = (await ready).get(name);
    return { Volume: { Name: volume.name, Mountpoint: volume.mountpoint, CreatedAt: volume.createdAt, Status: volume.status } };
  });
  // The service answers List with the same array until something it shows changes: so is the body reused.
  const listBodies = new WeakMap<readonly VolumeSummary[], string>();
  endpoints.set(ROUTES.list, async (request, response) => {
    decodeBody(request.body);
    const volumes = (await ready).list();
    let body = listBodies.get(volumes);
    if (body === undefined) {
      body = JSON.stringify({ Volumes: volumes.map((volume) => ({ Name: volume.name, Mountpoint: volume.mountpoint })), Err: '' });
      listBodies.set(volumes, body);
    }
    response.status(200).type('application/json').send(body);
  });
  handle(ROUTES.mount, async (body, response) => {
    const name = named(body, response);
    const id = mountId(body, response);
    return { Mountpoint: await (await ready).mount(name, id) };
  });
  handle(ROUTES.unmount, async (body, response) => {
    const name = named(body, response);
    const id = mountId(body, response);
    await (await ready).unmount(name, id);
    return {};
  });
  handle(ROUTES.path, async (body, response) => {
    const name = named(body, response);
    return { Mountpoint: (await ready).path(name) };
  });
  handle(ROUTES.remove, async (body, response) => {
    const name = named(body, response);
    await (await ready).remove(name);
    return {};
  });

  app.use(unknownEndpoint);
  app.use(errorResponse);
  return app;
}
