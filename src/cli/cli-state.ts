import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Container } from 'inversify';

import { createContainer } from '../app/container.js';
import { TOKENS } from '../app/tokens.js';
import type { VolplexConfig } from '../config/config.js';
import { createLogger } from '../log/logger.js';
import { SqliteStore, STORE_FILE } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import { ExecaCommandRunner } from '../system/execa-command-runner.js';

/** The daemon's store and services, opened by a command beside the running daemon (WAL allows a second reader). */
export interface CliState {
  readonly container: Container;
  readonly store: Store;
  close(): void;
}

/**
 * Opens the state for `volplex ls` and `doctor`, or undefined when `onlyIfPresent` and no daemon
 * has made a store there yet. Command output goes to a directory of its own: the daemon's is
 * emptied whenever a runner is made for it, and the daemon may be writing there.
 */
export function openCliState(config: VolplexConfig, onlyIfPresent = false): CliState | undefined {
  if (onlyIfPresent && !existsSync(join(config.stateDir, STORE_FILE))) {
    return undefined;
  }
  const outputDir = mkdtempSync(join(tmpdir(), 'volplex-cli-'));
  // With store.kind etcd, this host's SQLite holds its counts and its copy of the shared records: what the daemon answers from.
  const container = createContainer(config, createLogger('silent'), { runner: new ExecaCommandRunner(config.commandTimeout, outputDir), store: new SqliteStore(config.stateDir) });
  const store = container.get<Store>(TOKENS.store);
  return {
    container,
    store,
    close: () => {
      store.close();
      rmSync(outputDir, { recursive: true, force: true });
    },
  };
}
