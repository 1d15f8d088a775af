import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OssDialectOptions {
  /** The S3 server behind (s3rver), addressed path-style: `http://127.0.0.1:4569`. */
  readonly upstream: URL;
  /** The one access key this endpoint knows, as a credentials profile holds it. */
  readonly keyId: string;
  readonly keySecret: string;
  /** `<bucket>.<serviceHost>` is a virtual-hosted bucket (OSS's own addressing); any other host is path-style. */
  readonly serviceHost: string;
  /** One line per refused request (never a secret). */
  readonly log?: (line: string) => void;
}

// Query parameters OSS signs (its "sub-resources"), from OSS's v1 signature rules.
const SUBRESOURCES = new Set([
  'acl', 'uploads', 'location', 'cors', 'logging', 'website', 'referer', 'lifecycle', 'delete', 'append', 'tagging', 'objectMeta',
  'uploadId', 'partNumber', 'security-token', 'position', 'img', 'style', 'styleName', 'replication', 'replicationProgress',
  'replicationLocation', 'cname', 'bucketInfo', 'comp', 'qos', 'live', 'status', 'vod', 'startTime', 'endTime', 'symlink',
  'x-oss-process', 'response-content-type', 'response-content-language', 'response-expires', 'response-cache-control',
  'response-content-disposition', 'response-content-encoding', 'udf', 'udfName', 'udfImage', 'udfId', 'udfImageDesc',
  'udfApplication', 'udfApplicationLog', 'restore', 'callback', 'callback-var', 'continuation-token', 'versionId', 'versioning',
]);

// Request headers OSS reads that S3 has no counterpart for (or signs but does not store).
const DROPPED_REQUEST_HEADERS = new Set(['authorization', 'host', 'x-oss-date', 'x-oss-security-token', 'x-oss-request-payer', 'x-oss-range-behavior', 'x-oss-traffic-limit']);

interface Target {
  readonly bucket: string;
  readonly key: string;
  /** The path s3rver is asked for, path-style. */
  readonly upstreamPath: string;
}

/**
 * A loopback front that speaks Aliyun OSS's dialect of S3 to ossfs and plain S3 to s3rver
 * behind it. It is the authority on access keys, as OSS is: it checks `Authorization: OSS
 * id:signature` (v1, HMAC-SHA1) against the one configured key and answers a wrong key ID
 * or secret with OSS's own 403, before anything reaches s3rver (which is asked anonymously).
 * `x-oss-*` request and response headers become `x-amz-*` and back (metadata, the
 * `x-oss-copy-source` of rename and chmod), and XML replies lose their namespace, which
 * ossfs's parser does not expect. Virtual-hosted buckets become path-style requests.
 */
export class OssDialectProxy {
  readonly #options: OssDialectOptions;
  readonly #server: Server;

  private constructor(options: OssDialectOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => { this.#handle(req, res); });
  }

  public static async start(options: OssDialectOptions, port = 0): Promise<OssDialectProxy> {
    const proxy = new OssDialectProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(port, '127.0.0.1', resolve);
    });
    return proxy;
  }

  public get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  public async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => { resolve(); }));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://oss.invalid');
    const target = this.#target(req.headers.host ?? '', url.pathname);
    const refusal = this.#authenticate(req, url, target);
    if (refusal !== undefined) {
      this.#options.log?.(`${req.method ?? '?'} ${url.pathname}: ${refusal.code}`);
      req.resume();
      sendError(res, refusal);
      return;
    }
    const upstream = request(
      { host: this.#options.upstream.hostname, port: this.#options.upstream.port, method: req.method, path: `${target.upstreamPath}${url.search}`, headers: toS3Headers(req.headers, this.#options.upstream.host) },
      // Object data is passed through untouched: only the API's own XML is rewritten.
      (reply) => { relayReply(reply, res, req.method !== 'HEAD' && !(req.method === 'GET' && target.key !== '' && (reply.statusCode ?? 0) < 300)); },
    );
    upstream.on('error', (error) => {
      sendError(res, { status: 502, code: 'UpstreamUnavailable', message: `the S3 server behind this front did not answer: ${error.message}` });
    });
    req.pipe(upstream);
  }

  /** Bucket and key from the host (virtual-hosted) or the first path segment (path-style). */
  #target(hostHeader: string, pathname: string): Target {
    const hostname = hostHeader.replace(/:\d+$/, '').toLowerCase();
    const suffix = `.${this.#options.serviceHost}`;
    if (hostname.endsWith(suffix)) {
      const bucket = hostname.slice(0, -suffix.length);
      return { bucket, key: decodePath(pathname.slice(1)), upstreamPath: `/${bucket}${pathname}` };
    }
    const [, bucket = '', rest = ''] = /^\/([^/]*)\/?(.*)$/.exec(pathname) ?? [];
    return { bucket: decodePath(bucket), key: decodePath(rest), upstreamPath: pathname };
  }

  /** undefined when the request is signed with the configured key, else OSS's answer. */
  #authenticate(req: IncomingMessage, url: URL, target: Target): OssError | undefined {
    const authorization = header(req.headers, 'authorization');
    if (authorization === '') {
      return { status: 403, code: 'AccessDenied', message: 'You have no right to access this object because of bucket acl.' };
    }
    const match = /^OSS ([^:\s]+):(\S+)$/.exec(authorization);
    if (match === null) {
      return { status: 400, code: 'InvalidArgument', message: 'Authorization header is invalid (this test front serves OSS v1 signatures only).' };
    }
    const [, keyId = '', signature = ''] = match;
    if (keyId !== this.#options.keyId) {
      return { status: 403, code: 'InvalidAccessKeyId', message: 'The OSS Access Key Id you provided does not exist in our records.', extra: { OSSAccessKeyId: keyId } };
    }
    const stringToSign = this.#stringToSign(req, url, target);
    const expected = createHmac('sha1', this.#options.keySecret).update(stringToSign, 'utf8').digest();
    const given = Buffer.from(signature, 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', extra: { OSSAccessKeyId: keyId, StringToSign: stringToSign } };
    }
    return undefined;
  }

  #stringToSign(req: IncomingMessage, url: URL, target: Target): string {
    const ossHeaders = Object.keys(req.headers)
      .filter((name) => name.startsWith('x-oss-') && header(req.headers, name).trim() !== '')
      .sort()
      .map((name) => `${name}:${header(req.headers, name).trim()}\n`)
      .join('');
    const subresources = [...url.searchParams.entries()]
      .filter(([name]) => SUBRESOURCES.has(name))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => (value === '' ? name : `${name}=${value}`));
    const resource = target.bucket === '' ? '/' : `/${target.bucket}/${target.key}`;
    const query = subresources.length === 0 ? '' : `?${subresources.join('&')}`;
    return [req.method ?? '', header(req.headers, 'content-md5'), header(req.headers, 'content-type'), header(req.headers, 'date'), `${ossHeaders}${resource}${query}`].join('\n');
  }
}

interface OssError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly extra?: Readonly<Record<string, string>>;
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function toS3Headers(headers: IncomingHttpHeaders, upstreamHost: string): OutgoingHttpHeaders {
  const mapped: OutgoingHttpHeaders = { host: upstreamHost };
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || DROPPED_REQUEST_HEADERS.has(name)) {
      continue;
    }
    mapped[name.startsWith('x-oss-') ? `x-amz-${name.slice('x-oss-'.length)}` : name] = value;
  }
  return mapped;
}

/** s3rver's reply with `x-amz-*` headers renamed `x-oss-*`, and (when apiXml) XML without its namespace. */
function relayReply(reply: IncomingMessage, res: ServerResponse, apiXml: boolean): void {
  const headers: OutgoingHttpHeaders = { 'x-oss-request-id': requestId() };
  for (const [name, value] of Object.entries(reply.headers)) {
    if (value !== undefined) {
      headers[name.startsWith('x-amz-') ? `x-oss-${name.slice('x-amz-'.length)}` : name] = value;
    }
  }
  if (!apiXml || !/xml/.test(header(reply.headers, 'content-type'))) {
    res.writeHead(reply.statusCode ?? 502, headers);
    reply.pipe(res);
    return;
  }
  const chunks: Buffer[] = [];
  reply.on('data', (chunk: Buffer) => chunks.push(chunk));
  reply.on('end', () => {
    const body = Buffer.from(Buffer.concat(chunks).toString('utf8').replace(/ xmlns="[^"]*"/g, ''), 'utf8');
    delete headers['transfer-encoding'];
    res.writeHead(reply.statusCode ?? 502, { ...headers, 'content-length': String(body.length) });
    res.end(body);
  });
}

function sendError(res: ServerResponse, error: OssError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const id = requestId();
  const fields = Object.entries({ Code: error.code, Message: error.message, RequestId: id, HostId: 'oss.localhost', ...error.extra }).map(([name, value]) => `  <${name}>${escapeXml(value)}</${name}>`);
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n${fields.join('\n')}\n</Error>\n`;
  res.writeHead(error.status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)), 'x-oss-request-id': id });
  res.end(body);
}

function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, '&#10;');
}

function requestId(): string {
  return randomBytes(12).toString('hex').toUpperCase();
}
