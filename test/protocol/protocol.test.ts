import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { createLogger } from '../../src/log/logger.js';
import { createApp } from '../../src/server/app.js';
import { listenOnSocket } from '../../src/server/listen.js';
import { MAX_BODY_BYTES } from '../../src/server/routes.js';
import type { FakeMounter } from '../fakes/fake-mounter.js';
import { createHarness, type Harness } from '../support/harness.js';
import { exactErr } from '../support/err-text.js';
import { callPlugin, goJson, rawExchange } from '../support/plugin-client.js';

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

describe('the Docker volume plugin protocol on a unix socket', () => {
  let harness: Harness<FakeMounter>;
  let server: Server;
  let device: string;
  const call = (endpoint: string, body: string): ReturnType<typeof callPlugin> => callPlugin(harness.config.socket, endpoint, body);

  beforeAll(async () => {
    harness = createHarness();
    device = join(harness.root, 'devices', 'app');
    mkdirSync(device, { recursive: true });
    server = await listenOnSocket(createApp(harness.service, createLogger('silent')), harness.config.socket);
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    harness.close();
  });

  describe('as dockerd speaks it', () => {
    it('answers Activate with an empty body', async () => {
      const response = await call('/Plugin.Activate', '');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ Implements: ['VolumeDriver'], Err: '' });
      expect(response.headers['content-type']).toMatch(/^application\/json/);
    });

    it('answers Capabilities with the configured scope', async () => {
      expect((await call('/VolumeDriver.Capabilities', goJson({}))).body).toEqual({ Capabilities: { Scope: 'local' }, Err: '' });
    });

    it('runs a volume through Get, Create, Get, List, Mount, Path, Unmount, Remove', async () => {
      expect((await call('/VolumeDriver.Get', goJson({ Name: 'web' }))).body.Err).toMatch(exactErr('volume "web" not found'));
      expect(await call('/VolumeDriver.Create', goJson({ Name: 'web', Opts: { device } }))).toEqual(expect.objectContaining({ status: 200, body: { Err: '' } }));

      const got = await call('/VolumeDriver.Get', goJson({ Name: 'web' }));
      const volume = got.body.Volume as Record<string, unknown>;
      expect(volume.Name).toBe('web');
      expect(volume.CreatedAt).toMatch(RFC3339);
      expect(volume.Status).toEqual(expect.objectContaining({ type: 'local', mounted: false, references: 0 }));

      const listed = await call('/VolumeDriver.List', goJson({}));
      expect(listed.body.Volumes).toEqual([{ Name: 'web', Mountpoint: volume.Mountpoint }]);

      const mounted = await call('/VolumeDriver.Mount', goJson({ Name: 'web', ID: 'c0ffee' }));
      expect(mounted.body).toEqual({ Mountpoint: volume.Mountpoint, Err: '' });
      expect((await call('/VolumeDriver.Path', goJson({ Name: 'web' }))).body).toEqual({ Mountpoint: volume.Mountpoint, Err: '' });
      expect((await call('/VolumeDriver.Remove', goJson({ Name: 'web' }))).body.Err).toContain('volume is in use');

      expect((await call('/VolumeDriver.Unmount', goJson({ Name: 'web', ID: 'c0ffee' }))).body).toEqual({ Err: '' });
      expect((await call('/VolumeDriver.Path', goJson({ Name: 'web' }))).body).toEqual({ Mountpoint: '', Err: '' });
      expect((await call('/VolumeDriver.Remove', goJson({ Name: 'web' }))).body).toEqual({ Err: '' });
      expect(harness.mounter.mountCount).toBe(0);
    });

    it('answers List anew after every Create and Remove, from the same body while nothing changed', async () => {
      const names = async (): Promise<string[]> => ((await call('/VolumeDriver.List', goJson({}))).body.Volumes as Array<{ Name: string }>).map((volume) => volume.Name).filter((name) => name.startsWith('listed-'));
      const raw = async (): Promise<string> => rawExchange(harness.config.socket, `POST /VolumeDriver.List HTTP/1.1\r\nHost: plugin\r\nContent-Length: 3\r\n\r\n{}\n`, /"Err":""\}$/);
      expect(await names()).toEqual([]);
      await call('/VolumeDriver.Create', goJson({ Name: 'listed-b', Opts: { device } }));
      expect(await names()).toEqual(['listed-b']);
      await call('/VolumeDriver.Create', goJson({ Name: 'listed-a', Opts: { device, ro: 'true' } }));
      expect(await names()).toEqual(['listed-a', 'listed-b']);
      const body = (reply: string): string => reply.slice(reply.indexOf('\r\n\r\n'));
      expect(body(await raw())).toBe(body(await raw()));
      await call('/VolumeDriver.Remove', goJson({ Name: 'listed-b' }));
      expect(await names()).toEqual(['listed-a']);
      await call('/VolumeDriver.Remove', goJson({ Name: 'listed-a' }));
      expect(await names()).toEqual([]);
    });

    it('takes "Opts":null as no options', async () => {
      expect((await call('/VolumeDriver.Create', '{"Name":"nullopts","Opts":null}\n')).body).toEqual({ Err: '' });
    });

    it('matches field names case-insensitively, as Go does', async () => {
      expect((await call('/VolumeDriver.Create', goJson({ name: 'lower', opts: { device } }))).body).toEqual({ Err: '' });
      expect(((await call('/VolumeDriver.Get', goJson({ NAME: 'lower' }))).body.Volume as { Name: string }).Name).toBe('lower');
    });

    it('treats Unmount of an ID that was never mounted as success', async () => {
      await call('/VolumeDriver.Create', goJson({ Name: 'quiet', Opts: {} }));
      expect((await call('/VolumeDriver.Unmount', goJson({ Name: 'quiet', ID: 'never' }))).body).toEqual({ Err: '' });
    });

    it('answers byte-exact HTTP/1.1 with 200 and a JSON body', async () => {
      const body = goJson({});
      const reply = await rawExchange(
        harness.config.socket,
        `POST /VolumeDriver.List HTTP/1.1\r\nHost: plugin\r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: ${body.length}\r\nAccept: application/vnd.docker.plugins.v1.2+json\r\nAccept-Encoding: gzip\r\n\r\n${body}`,
        /"Err":""\}$/,
      );
      expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(reply).toContain('"Volumes":[');
    });
  });

  describe('with hostile input', () => {
    it.each([
      ['a slash', 'a/b'],
      ['dot dot', '..'],
      ['a climb', '../../../etc'],
      ['a NUL byte', 'ab\u0000cd'],
      ['300 characters', 'v'.repeat(300)],
    ])('refuses to create a volume named with %s, and Get says not found', async (_desc, name) => {
      const created = await call('/VolumeDriver.Create', goJson({ Name: name, Opts: {} }));
      expect(created.status).not.toBe(200);
      expect(created.body.Err).toContain('invalid volume name');
      expect((await call('/VolumeDriver.Get', goJson({ Name: name }))).body.Err).toContain('not found');
    });

    it.each([
      ['malformed JSON', '{"Name":', 'request body is not valid JSON'],
      ['a JSON array', '[1,2]', 'request body must be a JSON object'],
      ['a missing Name', goJson({}), 'request field Name must be a non-empty string'],
      ['a numeric Name', goJson({ Name: 7 }), 'request field Name must be a non-empty string'],
      ['a numeric option', goJson({ Name: 'n1', Opts: { ro: true } }), 'option "ro" must be a string, got boolean'],
      ['Opts as a string', goJson({ Name: 'n1', Opts: 'ro' }), 'request field Opts must be a map of strings'],
    ])('answers %s with an Err and a non-200 status', async (_desc, body, expectedErr) => {
      const response = await call('/VolumeDriver.Create', body);
      expect(response.status).toBe(400);
      expect(response.body.Err).toContain(expectedErr);
    });

    it('refuses a mount ID far longer than dockerd sends', async () => {
      await call('/VolumeDriver.Create', goJson({ Name: 'idcheck', Opts: {} }));
      const response = await call('/VolumeDriver.Mount', goJson({ Name: 'idcheck', ID: 'i'.repeat(257) }));
      expect(response.status).toBe(400);
      expect(response.body.Err).toMatch(exactErr('request field ID must be a string of at most 256 characters'));
      expect(harness.store.usage('idcheck').references).toBe(0);
    });

    it('refuses a body over the size limit with an Err', async () => {
      const response = await call('/VolumeDriver.Create', goJson({ Name: 'big', Opts: { device: 'x'.repeat(MAX_BODY_BYTES) } }));
      expect(response.status).toBe(413);
      expect(response.body.Err).toMatch(exactErr(`request rejected: the body is larger than the limit of ${MAX_BODY_BYTES} bytes`));
    });

    it('answers an unknown endpoint with 404 and an Err', async () => {
      const response = await call('/VolumeDriver.Explode', goJson({}));
      expect(response.status).toBe(404);
      expect(response.body.Err).toContain('unknown endpoint POST "/VolumeDriver.Explode"');
    });

    it('answers a 5000-character device with InvalidParameter naming the option, not a 500', async () => {
      const response = await call('/VolumeDriver.Create', goJson({ Name: 'longdev', Opts: { device: `/${'d'.repeat(4999)}` } }));
      expect(response.status).toBe(400);
      expect(response.body.Err).toContain('create longdev: option "device" for type local must be at most 4095 characters long (it has 5000)');
    });

    it('answers a device path through a file with InvalidParameter (ENOTDIR), not a 500', async () => {
      writeFileSync(join(harness.root, 'devices', 'plainfile'), '');
      const response = await call('/VolumeDriver.Create', goJson({ Name: 'notdir', Opts: { device: join(harness.root, 'devices', 'plainfile', 'x') } }));
      expect(response.status).toBe(400);
      expect(response.body.Err).toContain('runs through something that is not a directory (ENOTDIR)');
    });

    it.each([
      ['a NUL byte', 'ab\u0000cd', 'invalid volume name "ab\\u0000cd"'],
      ['a newline and an ANSI escape', 'a\n\u001b[2J', 'invalid volume name "a\\u000a\\u001b[2J"'],
      ['a lone surrogate', 'a\ud800', 'invalid volume name "a\\ud800"'],
    ])('shows a name with %s escaped, on one line', async (_desc, name, expectedErr) => {
      const response = await call('/VolumeDriver.Create', goJson({ Name: name, Opts: {} }));
      expect(response.body.Err).toContain(expectedErr);
      expect(response.body.Err).not.toMatch(/[\p{Cc}\p{Cs}]/u);
    });

    it.each([
      ['s3fs url', { type: 's3fs', bucket: 'bucket1', url: 'http://h,use_cache=/any/dir' }, 'option "url" for type s3fs must not contain "," (character 9): the value goes into a comma-separated mount option list'],
      ['ossfs url', { type: 'ossfs', bucket: 'bucket1', url: 'http://h,use_cache=/any/dir' }, 'option "url" for type ossfs must not contain "," (character 9)'],
      ['ossfs umask', { type: 'ossfs', bucket: 'bucket1', umask: '022,allow_root' }, 'option "umask" for type ossfs must not contain "," (character 4)'],
      ['glusterfs log-level', { type: 'glusterfs', volume: 'gv0', 'log-level': 'INFO,log-file=/any/log' }, 'option "log-level" for type glusterfs must not contain "," (character 5)'],
      ['nfs timeo', { type: 'nfs', share: '/srv/nfs', timeo: '600,sec=none' }, 'option "timeo" for type nfs must not contain "," (character 4)'],
      ['nfs proto', { type: 'nfs', share: '/srv/nfs', proto: 'tcp=udp' }, 'option "proto" for type nfs must not contain "=" (character 4)'],
    ])('refuses a mount option smuggled into the %s with a 400 naming the option and the character', async (_desc, opts, expectedErr) => {
      const response = await call('/VolumeDriver.Create', goJson({ Name: 'smuggled', Opts: opts }));
      expect(response.status).toBe(400);
      expect(response.body.Err).toContain(`create smuggled: ${expectedErr}`);
      expect((await call('/VolumeDriver.Get', goJson({ Name: 'smuggled' }))).body.Err).toMatch(exactErr('volume "smuggled" not found'));
    });

    it.each([
      ['a mode that is not octal', { mode: '0778' }, 'create owned: option "mode" for type local must not contain "8" (character 4); valid: an octal mode from 0 to 7777, such as 0755 (got "0778")'],
      ['a uid past the largest', { uid: '4294967295' }, 'create owned: option "uid" for type local must be a whole number from 0 to 4294967294 (got "4294967295")'],
    ])('answers %s with a 400 naming the valid range', async (_desc, opts, expectedErr) => {
      const response = await call('/VolumeDriver.Create', goJson({ Name: 'owned', Opts: opts }));
      expect(response.status).toBe(400);
      expect(response.body.Err).toMatch(exactErr(expectedErr));
    });

    it('never echoes a malformed body in the Err (it may hold a secret)', async () => {
      const response = await call('/VolumeDriver.Create', 'xTOPSECRETx');
      expect(response.status).toBe(400);
      expect(response.body.Err).toMatch(exactErr("request body is not valid JSON: Unexpected token 'x'"));
    });
  });

  describe('with HTTP that never reaches express', () => {
    const exchange = (bytes: string): Promise<string> => rawExchange(harness.config.socket, bytes, /\}$/);
    const parse = (reply: string): { status: number; contentType: string; body: Record<string, unknown> } => {
      const [head = '', body = ''] = reply.split('\r\n\r\n');
      return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]), contentType: /content-type: ([^\r]*)/i.exec(head)?.[1] ?? '', body: JSON.parse(body) as Record<string, unknown> };
    };

    it.each([
      ['headers over Node\'s limit', `POST /VolumeDriver.List HTTP/1.1\r\nHost: plugin\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'request rejected: its headers are larger than 16384 bytes'],
      ['a malformed request line', 'POST /VolumeDriver.List HTTP/9.9\r\nHost: plugin\r\n\r\n', 400, 'request rejected: malformed HTTP (HPE_'],
      ['bytes that are not HTTP', '\u0000\u0001\u0002hello\r\n\r\n', 400, 'request rejected: malformed HTTP (HPE_'],
      ['a header name with a space', 'POST /VolumeDriver.List HTTP/1.1\r\nHo st: plugin\r\n\r\n', 400, 'request rejected: malformed HTTP (HPE_'],
      ['a broken chunked body', 'POST /VolumeDriver.List HTTP/1.1\r\nHost: plugin\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400, 'request rejected: malformed HTTP (HPE_'],
      ['both Transfer-Encoding and Content-Length', 'POST /VolumeDriver.List HTTP/1.1\r\nHost: plugin\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n', 400, 'request rejected: malformed HTTP (HPE_'],
      ['an HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400, 'request rejected: malformed HTTP (HPE_'],
      ['CONNECT', 'CONNECT plugin:80 HTTP/1.1\r\nHost: plugin\r\n\r\n', 405, 'request rejected: CONNECT is not part of the plugin protocol; every call is a POST'],
      ['an Expect header other than 100-continue', 'POST /VolumeDriver.List HTTP/1.1\r\nHost: plugin\r\nExpect: magic\r\nContent-Length: 0\r\n\r\n', 417, 'request rejected: cannot meet Expect: "magic"'],
      ['an unsupported Content-Encoding', 'POST /VolumeDriver.List HTTP/1.1\r\nHost: plugin\r\nContent-Encoding: compress\r\nContent-Length: 2\r\n\r\n{}', 415, 'request rejected: the body has a Content-Encoding volplex does not read'],
      ['a GET', 'GET /VolumeDriver.List HTTP/1.1\r\nHost: plugin\r\n\r\n', 404, 'unknown endpoint GET "/VolumeDriver.List"'],
    ])('answers %s with a JSON Err', async (_desc, bytes, status, expectedErr) => {
      const reply = parse(await exchange(bytes));
      expect(reply.status).toBe(status);
      expect(reply.contentType).toMatch(/^application\/json/);
      expect(String(reply.body.Err)).toContain(expectedErr);
    });

    it('answers a body cut off before its Content-Length with a JSON Err', async () => {
      const socket = connect(harness.config.socket);
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      const closed = new Promise((resolve) => socket.on('close', resolve));
      socket.write('POST /VolumeDriver.Create HTTP/1.1\r\nHost: plugin\r\nContent-Length: 100\r\n\r\n{"Name":');
      setTimeout(() => socket.end(), 100);
      await closed;
      expect(parse(received)).toEqual(expect.objectContaining({ status: 400, body: { Err: expect.stringContaining('request rejected') as unknown } }));
    });

    it('serves a request without a Host header (Node would answer a bare 400)', async () => {
      const body = goJson({});
      const reply = parse(await exchange(`POST /VolumeDriver.List HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
      expect(reply.status).toBe(200);
      expect(reply.body.Err).toBe('');
    });
  });

  describe('after hostile input', () => {

    it('keeps serving', async () => {
      expect((await call('/Plugin.Activate', '')).status).toBe(200);
    });
  });

  describe('under a storm of concurrent Mounts', () => {
    it('mounts once for 200 IDs and unmounts after the last', async () => {
      await call('/VolumeDriver.Create', goJson({ Name: 'storm', Opts: { device } }));
      const before = harness.mounter.mountCount;
      const ids = Array.from({ length: 200 }, (_, index) => `storm-${index}`);
      const replies = await Promise.all(ids.map((id) => call('/VolumeDriver.Mount', goJson({ Name: 'storm', ID: id }))));
      expect(new Set(replies.map((reply) => reply.body.Mountpoint)).size).toBe(1);
      expect(harness.mounter.mountCount).toBe(before + 1);
      await Promise.all(ids.map((id) => call('/VolumeDriver.Unmount', goJson({ Name: 'storm', ID: id }))));
      expect(harness.mounter.mountCount).toBe(before);
    });
  });

  describe('the socket', () => {
    it('keeps idle connections longer than dockerd does (30 s)', () => {
      expect(server.keepAliveTimeout).toBeGreaterThan(30_000);
    });

    it('is never taken over while another daemon serves it', async () => {
      await expect(listenOnSocket(() => undefined, harness.config.socket)).rejects.toThrow(`another process is already serving ${harness.config.socket}`);
    });
  });
});
