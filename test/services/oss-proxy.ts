import { OssDialectProxy } from './oss-dialect-proxy.js';

// `node dist/test/services/oss-proxy.js`, started by test/services/start-s3rver.sh (and by tests
// that need a key of their own). Settings come from the environment: no secret on a command line.
const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set`);
  }
  return value;
};

const proxy = await OssDialectProxy.start(
  {
    upstream: new URL(env('OSS_PROXY_UPSTREAM')),
    keyId: env('OSS_PROXY_KEY_ID'),
    keySecret: env('OSS_PROXY_KEY_SECRET'),
    serviceHost: env('OSS_PROXY_SERVICE_HOST'),
    log: (line) => { process.stdout.write(`${new Date().toISOString()} refused ${line}\n`); },
  },
  Number(env('OSS_PROXY_PORT')),
);
process.stdout.write(`OSS dialect front on 127.0.0.1:${proxy.port}\n`);
process.on('SIGTERM', () => { void proxy.stop().then(() => process.exit(0)); });
