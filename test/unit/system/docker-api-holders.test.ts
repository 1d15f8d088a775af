import { createServer, type RequestListener, type Server } from 'node:http';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { DockerApiHolderFinder, holdersFromContainers } from '../../../src/system/docker-api-holders.js';
import { makeTempDir, removeTempDir } from '../../support/harness.js';

type Handler = RequestListener;

const VOLUMES = [
  { name: 'data', backendTarget: '/m/local-x', subdir: '' },
  { name: 'logs', backendTarget: '/m/local-y', subdir: 'logs' },
];

// The shape of GET /containers/json from dockerd 20.10 (trimmed): Source is empty for plugin volumes.
const CONTAINERS = [
  {
    Id: 'a1f6df1bed941721d611cad3a7b5105a19bafa65e2c90c99360c8c88a5d76e04',
    Names: ['/web'],
    State: 'running',
    Mounts: [
      { Type: 'volume', Name: 'data', Source: '', Destination: '/data', Driver: 'volplex', Mode: '', RW: true, Propagation: '' },
      { Type: 'bind', Source: '/srv', Destination: '/srv', Mode: '', RW: true, Propagation: 'rprivate' },
    ],
  },
  {
    Id: 'b2',
    Names: ['/worker'],
    State: 'running',
    Mounts: [
      { Type: 'volume', Name: 'data', Source: '', Destination: '/in', Driver: 'volplex:latest' },
      { Type: 'volume', Name: 'logs', Source: '/var/lib/docker/volumes/logs/_data', Destination: '/logs', Driver: 'local' },
    ],
  },
  { Id: 'c3', Names: null, Mounts: null },
];

describe(holdersFromContainers.name, () => {
  it('matches volume mounts by name, whatever the plugin is called, but never a local volume of that name', () => {
    expect(holdersFromContainers(CONTAINERS, VOLUMES)).toEqual(
      new Map([
        ['data', [{ container: 'web', destination: '/data' }, { container: 'worker', destination: '/in' }]],
        ['logs', []],
      ]),
    );
  });
});

describe(DockerApiHolderFinder.name, () => {
  let root: string;
  let socket: string;
  let server: Server | undefined;
  const serve = async (handler: Handler): Promise<void> => {
    server = createServer(handler);
    await new Promise<void>((resolve) => server?.listen(socket, resolve));
  };

  beforeEach(() => {
    root = makeTempDir('docker-api');
    socket = join(root, 'docker.sock');
  });

  afterEach(async () => {
    const running = server;
    server = undefined;
    if (running !== undefined) {
      running.closeAllConnections();
      await new Promise((resolve) => { running.close(resolve); });
    }
    removeTempDir(root);
  });

  it('asks GET /containers/json on the socket and reports the holders', async () => {
    const asked: string[] = [];
    await serve((request, response) => {
      asked.push(`${request.method ?? ''} ${request.url ?? ''}`);
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(CONTAINERS));
    });
    const report = await new DockerApiHolderFinder(socket).find(VOLUMES);
    expect(asked).toEqual(['GET /containers/json']);
    expect(report).toEqual(expect.objectContaining({ known: true, source: 'docker', detail: `Docker API at ${socket}` }));
    expect(report.known && report.holders.get('data')).toHaveLength(2);
  });

  const failures: Array<[string, Handler | undefined, string]> = [
    ['[Error] no socket', undefined, 'no socket there'],
    ['[Error] an error status', (_request, response) => { response.writeHead(500).end('{}'); }, 'HTTP 500'],
    ['[Error] not JSON', (_request, response) => { response.writeHead(200).end('<html>'); }, 'the answer is not JSON'],
    ['[Error] not a list', (_request, response) => { response.writeHead(200).end('{}'); }, 'the container list is not a JSON array'],
  ];

  it.each(failures)('%s: cannot tell, and says why', async (_desc, handler, reason) => {
    if (handler !== undefined) {
      await serve(handler);
    }
    await expect(new DockerApiHolderFinder(socket).find(VOLUMES)).resolves.toEqual({ known: false, reason: `Docker API at ${socket}: ${reason}` });
  });

  it('[Error] gives up on a dockerd that does not answer (restoring after a restart)', async () => {
    await serve(() => undefined);
    await expect(new DockerApiHolderFinder(socket, 200).find(VOLUMES)).resolves.toEqual({ known: false, reason: `Docker API at ${socket}: no answer within 200 ms (dockerd starting or restoring?)` });
  });

  it('is not asked at all with docker.socket empty', async () => {
    await expect(new DockerApiHolderFinder('').find(VOLUMES)).resolves.toEqual({ known: false, reason: 'the Docker API is not used (docker.socket is empty)' });
  });
});
