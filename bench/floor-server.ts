import { createServer } from 'node:http';
import { rmSync } from 'node:fs';

// The floor: a bare node:http server on a unix socket answering constant JSON.
const socket = process.argv[2] ?? '/tmp/volplex-floor.sock';
rmSync(socket, { force: true });
const body = JSON.stringify({ Mountpoint: '/var/lib/volplex/mounts/local-0', Err: '' });
const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    response.end(body);
  });
});
server.keepAliveTimeout = 75_000;
server.listen(socket, () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
