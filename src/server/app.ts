import express, { type Request, type Response } from 'express';

import { printable } from '../base/quote.js';
import type { VolumeService } from '../core/volume-service.js';
import type { Logger } from '../log/logger.js';
import { errorResponse, unknownEndpoint } from './error-response.js';
import { decodeBody, decodeId, decodeName, decodeOpts } from './protocol.js';
import { assignRequestId, enterRequest } from './request-id.js';
import { requestLog } from './request-log.js';
import { MAX_BODY_BYTES, ROUTES } from './routes.js';

type Handler = (body: Readonly<Record<string, unknown>>, response: Response) => Promise<object> | object;

/** The protocol over HTTP: decode → service → encode. Success is 200 with JSON, always. */
export function createApp(service: VolumeService, log: Logger): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(assignRequestId);
  app.use(requestLog(log));
  app.use(express.raw({ type: () => true, limit: MAX_BODY_BYTES }));
  app.use(enterRequest);

  const handle = (path: string, handler: Handler): void => {
    app.post(path, async (request: Request, response: Response) => {
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

  handle(ROUTES.activate, () => {
    service.activate();
    return { Implements: ['VolumeDriver'] };
  });
  handle(ROUTES.capabilities, () => ({ Capabilities: { Scope: service.capabilities().scope } }));
  handle(ROUTES.create, async (body, response) => {
    await service.create(named(body, response), decodeOpts(body));
    return {};
  });
  handle(ROUTES.get, (body, response) => {
    const volume = service.get(named(body, response));
    return { Volume: { Name: volume.name, Mountpoint: volume.mountpoint, CreatedAt: volume.createdAt, Status: volume.status } };
  });
  handle(ROUTES.list, () => ({ Volumes: service.list().map((volume) => ({ Name: volume.name, Mountpoint: volume.mountpoint })) }));
  handle(ROUTES.mount, async (body, response) => {
    return { Mountpoint: await service.mount(named(body, response), mountId(body, response)) };
  });
  handle(ROUTES.unmount, async (body, response) => {
    await service.unmount(named(body, response), mountId(body, response));
    return {};
  });
  handle(ROUTES.path, (body, response) => ({ Mountpoint: service.path(named(body, response)) }));
  handle(ROUTES.remove, async (body, response) => {
    await service.remove(named(body, response));
    return {};
  });

  app.use(unknownEndpoint);
  app.use(errorResponse);
  return app;
}
