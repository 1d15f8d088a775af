import { parseArgs } from 'node:util';

import { quote } from '../base/quote.js';
import { VolplexError } from '../core/errors.js';

const USAGE = `usage: volplex <command> [--config FILE] [--json]

commands:
  serve          run the plugin daemon on its socket
  config check   validate the configuration and print it merged
  ls             list volumes: name, type, mounted, references, holding containers
  store migrate --to etcd
                 copy this host's volumes (SQLite, in stateDir) into the etcd cluster
                 of store.etcd; idempotent, refuses on conflicting names
  doctor         check what this host can mount (FUSE, clients, kernel NFS, servers)
                 for the backends in use, allowed roots bound from the host, the
                 daemon's last config reload, crash recovery (who holds each volume,
                 stale references) and the metrics listener; exits 1 on any FAIL

--json (ls, doctor) prints one JSON document with the fields the README lists.

--config FILE (or VOLPLEX_CONFIG) is merged over config/default.yaml;
VOLPLEX_* environment variables override both. A running daemon re-reads
the file on SIGHUP and when it changes.
`;

/** Resolves to the exit code, or undefined while the daemon keeps running. Each command loads only its own modules. */
async function main(argv: string[]): Promise<number | undefined> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string' }, json: { type: 'boolean' }, to: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  const command = positionals.join(' ');
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  switch (command) {
    case 'serve':
      await (await import('./serve.js')).serve(values.config);
      return undefined;
    case 'config check':
      (await import('./check-config.js')).checkConfig(values.config);
      return 0;
    case 'ls':
      await (await import('./list-volumes.js')).listVolumes(values.config, values.json === true);
      return 0;
    case 'doctor':
      return (await import('./doctor.js')).doctor(values.config, values.json === true);
    case 'store migrate':
      return (await import('./store-migrate.js')).migrateStore(values.config, values.to);
    default:
      process.stderr.write(command === '' ? USAGE : `volplex: unknown command ${quote(command)}\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) {
      process.exitCode = code;
    }
  },
  (error: unknown) => {
    const message = VolplexError.is(error) || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true ? (error as Error).message : String((error as Error).stack ?? error);
    process.stderr.write(`volplex: ${message}\n`);
    process.exitCode = 1;
  },
);
