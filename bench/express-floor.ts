import { rmSync } from 'node:fs';

import express from 'express';

/**
 * The floor: the least a plugin built on express 5 can cost. etag and x-powered-by off, the
 * body read as raw bytes and parsed as JSON, a small JSON answer. Same unix socket transport.
 */
const socket = process.argv[2] ?? '/tmp/volplex-floor.sock';
rmSync(socket, { force: true });
const app = express();
app.disable('etag');
app.disable('x-powered-by');
app.use(express.raw({ type: () => true, limit: 1024 * 1024 }));
app.post('/{*endpoint}', (request, response) => {
  const body: unknown = Buffer.isBuffer(request.body) && request.body.length > 0 ? JSON.parse(request.body.toString('utf8')) : {};
  response.status(200).json({ Mountpoint: '/var/lib/volplex/mounts/local-0', Name: typeof body === 'object' && body !== null ? (body as { Name?: unknown }).Name : undefined, Err: '' });
});
const server = app.listen(socket, () => process.stdout.write('ready\n'));
server.keepAliveTimeout = 75_000;
process.on('SIGTERM', () => server.close(() => process.exit(0)));
