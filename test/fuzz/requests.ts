import { join } from 'node:path';

import fc from 'fast-check';

import { ROUTES } from '../../src/server/routes.js';

/** Where a fuzz run may point hostile paths: the sentinel directory must stay empty. */
export interface FuzzPaths {
  readonly devices: string;
  readonly sentinel: string;
  /** Inside the allowed root, pointing at the sentinel. */
  readonly escapeLink: string;
}

/** One request of a run, tagged with the class of hostile input it carries. */
export type FuzzRequest =
  | { readonly kind: 'call'; readonly tag: string; readonly endpoint: string; readonly body: string; readonly secret?: string }
  | { readonly kind: 'raw'; readonly tag: string; readonly bytes: string };

const names = ['alpha', 'd.e-l_ta', '0'];
const ids = ['A', 'B', 'c0ffee'];

/** Strings a user could type, and strings nobody should: control characters, separators, climbs, unicode, huge. */
export function hostileStrings(paths: FuzzPaths): fc.Arbitrary<[string, string]> {
  return fc.oneof(
    fc.string({ maxLength: 12 }).map((value): [string, string] => ['ascii', value]),
    fc.string({ unit: 'grapheme', maxLength: 12 }).map((value): [string, string] => ['unicode', value]),
    fc.string({ unit: 'binary', maxLength: 12 }).map((value): [string, string] => ['binary', value]),
    fc.constantFrom('\u0000', '\n', '\r\n', '\u001b[2J', '\u202e', '\u2028', '\ud800', '\t', '\u007f').map((value): [string, string] => ['control', `a${value}b`]),
    fc.constantFrom(',', '=', ' ', ',ro', '=x', 'a=b,c=d', ',use_cache=/tmp').map((value): [string, string] => ['separator', `v${value}`]),
    fc.constantFrom('..', '../..', 'a/../../..', '/..', '.', '/').map((value): [string, string] => ['dotdot', value]),
    fc.constantFrom('-o', '--', '-oallow_root', '--help', '-fl').map((value): [string, string] => ['dash', value]),
    fc.constantFrom(`http://h,use_cache=${paths.sentinel}/cache`, `http://127.0.0.1:1,use_cache=${paths.sentinel}/c`, `log-file=${paths.sentinel}/log`).map((value): [string, string] => ['injection', value]),
    fc.constantFrom(join(paths.sentinel, 'made'), join(paths.escapeLink, 'made'), join(paths.devices, '..', 'sentinel', 'made'), join(paths.devices, 'fuzz-new')).map((value): [string, string] => ['sentinel-path', value]),
    fc.constantFrom(200, 256, 5000, 100_000).map((length): [string, string] => ['huge', `/${'h'.repeat(length)}`]),
  );
}

function optionValue(paths: FuzzPaths): fc.Arbitrary<[string, string]> {
  return fc.oneof(
    { weight: 3, arbitrary: hostileStrings(paths) },
    { weight: 2, arbitrary: fc.constantFrom('true', 'false', '0', '1', '022', '4096', '65535', 'tcp', 'INFO', 'sys', '4.1', '3', '127.0.0.1', 'gv0', 'bucket1', 'lab', 'http://127.0.0.1:1', paths.devices, join(paths.devices, 'app'), 'sub/dir').map((value): [string, string] => ['valid', value]) },
  );
}

const optionNames = fc.constantFrom(
  'type', 'device', 'create', 'ro', 'volume', 'servers', 'subdir', 'createSubdir', 'log-level', 'server-port', 'transport', 'bucket', 'prefix', 'url',
  'credentials', 'uid', 'gid', 'umask', 'allow_other', 'parallel_count', 'ak_id', 'ak_secret', 'path_style', 'server', 'share', 'version', 'timeo', 'nconnect',
  'proto', 'hard', 'soft', 'nolock', 'use_cache', 'passwd_file', 'bukcet',
);

const types = fc.constantFrom('local', 'bind', 'glusterfs', 'gluster', 's3fs', 's3', 'ossfs', 'oss', 'nfs', 'nfs4', 'tmpfs', '');

/** An option map for Create, with the hostile input classes it carries and the sensitive value, if any. */
export interface Opts {
  readonly tags: string[];
  readonly opts: Record<string, unknown>;
  readonly secret?: string;
}

/** A sensitive value gets a mark no other field has, so a reply showing it can be told apart. */
function withSecret(tags: string[], opts: Record<string, unknown>): Opts {
  if (typeof opts.ak_secret !== 'string') {
    return { tags, opts };
  }
  const secret = `SeCrEt${opts.ak_secret}`;
  return { tags, opts: { ...opts, ak_secret: secret }, secret };
}

/** A valid option map for one backend, then up to two keys set to hostile values. */
function backendOptionMaps(paths: FuzzPaths): fc.Arbitrary<Opts> {
  const bases: Record<string, string>[] = [
    { type: 'local', device: join(paths.devices, 'app') },
    { type: 'local', ro: 'false' },
    { type: 'bind', device: join(paths.devices, 'made', 'here'), create: 'true', ro: 'true' },
    { type: 'glusterfs', volume: 'gv0', subdir: 'team/db', createSubdir: 'true', 'log-level': 'INFO' },
    { type: 'glusterfs', volume: 'gv0', servers: '127.0.0.1,localhost', 'server-port': '24007', ro: 'true' },
    { type: 's3fs', bucket: 'bucket1', uid: '1000', umask: '022', prefix: 'p/q' },
    { type: 's3fs', bucket: 'bucket2', url: 'http://127.0.0.1:1/s3', allow_other: 'false', parallel_count: '4' },
    { type: 'ossfs', bucket: 'bucket1', ak_id: 'LEGACYID', ak_secret: 'legacy-secret-7f3a' },
    { type: 'nfs', share: '/srv/nfs', timeo: '600', nolock: 'true', version: '3' },
    { type: 'nfs4', share: '/srv/nfs/web', server: 'localhost', subdir: 'a', createSubdir: 'true', proto: 'tcp' },
  ];
  const payloads = fc.constantFrom(`,use_cache=${paths.sentinel}/cache`, `,log-file=${paths.sentinel}/log`, ',allow_other', ',nosuid=0', '=x', ' -o use_cache=/x', '\nuse_cache=/x', '\u0000x');
  return fc.constantFrom(...bases).chain((base) => {
    // A value that is valid up to a separator, then smuggles another option in: the pattern of the s3fs url bug.
    const injected = fc.tuple(fc.constantFrom(...Object.keys(base).filter((key) => key !== 'type')), payloads).map(([key, payload]): [string, [string, string]] => [key, ['injection', `${base[key] ?? ''}${payload}`]]);
    const hostile = fc.tuple(fc.oneof(optionNames, fc.constantFrom('device', 'url', 'bucket', 'volume', 'share', 'subdir', 'prefix', 'servers', 'ak_secret')), hostileStrings(paths));
    const mutations = fc.oneof(
      { weight: 2, arbitrary: fc.constant<[string, [string, string]][]>([]) },
      { weight: 1, arbitrary: fc.array(injected, { minLength: 1, maxLength: 2 }) },
      { weight: 1, arbitrary: fc.array(hostile, { minLength: 1, maxLength: 2 }) },
    );
    return mutations.map((chosen) => {
      const opts: Record<string, unknown> = { ...base };
      const tags = chosen.map(([key, [tag, value]]) => {
        opts[key] = value;
        return tag;
      });
      return withSecret(tags.length === 0 ? ['valid'] : tags, opts);
    });
  });
}

function optionMaps(paths: FuzzPaths): fc.Arbitrary<Opts> {
  return fc.oneof({ weight: 3, arbitrary: backendOptionMaps(paths) }, { weight: 1, arbitrary: randomOptionMaps(paths) });
}

function randomOptionMaps(paths: FuzzPaths): fc.Arbitrary<Opts> {
  const entry = fc.tuple(fc.oneof({ weight: 5, arbitrary: optionNames }, { weight: 1, arbitrary: hostileStrings(paths).map(([, value]) => value) }), optionValue(paths));
  return fc.tuple(types, fc.array(entry, { maxLength: 6 }), fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(7, true, null, ['a'], { nested: 'x' }) })).map(([type, entries, wrong]) => {
    const opts: Record<string, unknown> = { type };
    const tags: string[] = [];
    for (const [key, [tag, value]] of entries) {
      opts[key] = value;
      tags.push(tag);
    }
    if (wrong !== undefined) {
      opts.ro = wrong;
      tags.push('wrong-type');
    }
    return withSecret(tags, opts);
  });
}

function nameValues(paths: FuzzPaths, validWeight = 6): fc.Arbitrary<[string, unknown]> {
  return fc.oneof(
    { weight: validWeight, arbitrary: fc.constantFrom(...names).map((name): [string, unknown] => ['valid', name]) },
    { weight: 3, arbitrary: hostileStrings(paths) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(7, null, true, ['alpha'], { Name: 'alpha' }, '').map((value): [string, unknown] => ['wrong-type', value]) },
  );
}

function idValues(paths: FuzzPaths): fc.Arbitrary<[string, unknown]> {
  return fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...ids).map((id): [string, unknown] => ['valid', id]) },
    { weight: 2, arbitrary: hostileStrings(paths) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, 1, null, 'i'.repeat(300)).map((value): [string, unknown] => ['wrong-type', value]) },
  );
}

const json = (value: unknown): string => `${JSON.stringify(value)}\n`;

/** One run: a Create for each usual name (mostly valid, some hostile), then any requests, so that Mounts find volumes to mount. */
export function fuzzRun(paths: FuzzPaths, opts: fc.Arbitrary<Opts> = optionMaps(paths), first: fc.Arbitrary<Opts> = backendOptionMaps(paths)): fc.Arbitrary<FuzzRequest[]> {
  const creates = fc.tuple(...names.map((Name) => first.map((made) => createRequest(Name, made, 'valid'))));
  return fc.tuple(creates, fc.array(fuzzRequest(paths, opts), { maxLength: 14 })).map(([made, rest]) => [...made, ...rest]);
}

function createRequest(Name: unknown, made: Opts, nameTag: string): FuzzRequest {
  const tag = nameTag === 'valid' ? (made.tags.find((candidate) => candidate !== 'valid') ?? 'valid') : nameTag;
  return { kind: 'call', tag, endpoint: ROUTES.create, body: json({ Name, Opts: made.opts }), ...(made.secret === undefined ? {} : { secret: made.secret }) };
}

/** Create, Mount, Unmount, Get, List, Remove and Path calls, malformed bodies and raw HTTP. */
export function fuzzRequest(paths: FuzzPaths, opts: fc.Arbitrary<Opts> = optionMaps(paths)): fc.Arbitrary<FuzzRequest> {
  const named = (endpoint: string): fc.Arbitrary<FuzzRequest> => nameValues(paths).map(([tag, Name]) => ({ kind: 'call', tag, endpoint, body: json({ Name }) }));
  const withId = (endpoint: string): fc.Arbitrary<FuzzRequest> => fc.tuple(nameValues(paths, 16), idValues(paths)).map(([[nameTag, Name], [idTag, ID]]) => ({ kind: 'call', tag: nameTag === 'valid' ? idTag : nameTag, endpoint, body: json({ Name, ID }) }));
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(nameValues(paths), opts).map(([[nameTag, Name], made]) => createRequest(Name, made, nameTag)) },
    { weight: 5, arbitrary: withId(ROUTES.mount) },
    { weight: 4, arbitrary: withId(ROUTES.unmount) },
    { weight: 2, arbitrary: named(ROUTES.get) },
    { weight: 1, arbitrary: fc.constant<FuzzRequest>({ kind: 'call', tag: 'valid', endpoint: ROUTES.list, body: json({}) }) },
    { weight: 2, arbitrary: named(ROUTES.remove) },
    { weight: 1, arbitrary: named(ROUTES.path) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...Object.values(ROUTES)), fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.json(), fc.constantFrom('{"Name":', '[1,2]', 'null', '"x"', '{"Name":"alpha","Opts":"ro"}'))).map(([endpoint, body]): FuzzRequest => ({ kind: 'call', tag: 'malformed-body', endpoint, body })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((path): FuzzRequest => ({ kind: 'call', tag: 'unknown-endpoint', endpoint: `/${encodeURIComponent(path)}`, body: json({}) })) },
    { weight: 1, arbitrary: rawHttp() },
  );
}

/** Requests as bytes: odd methods, paths and headers, headers past Node's limit. */
function rawHttp(): fc.Arbitrary<FuzzRequest> {
  const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
  const headerValue = fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 30 }).map((value) => value.replace(/[\r\n]/g, '')), fc.constant('v'.repeat(20_000)));
  const path = fc.oneof(fc.constantFrom(...Object.values(ROUTES)), fc.string({ unit: 'binary-ascii', maxLength: 20 }).map((value) => `/${value.replace(/[\s]/g, '')}`));
  return fc.tuple(fc.oneof(fc.constantFrom('POST', 'GET', 'PUT', 'CONNECT', 'PRI', 'OPTIONS'), token), path, token, headerValue, fc.string({ maxLength: 30 }), fc.boolean()).map(([method, target, name, value, body, http10]) => ({
    kind: 'raw',
    tag: 'raw-http',
    bytes: `${method} ${target} HTTP/1.${http10 ? '0' : '1'}\r\nHost: plugin\r\n${name}: ${value}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  }));
}
