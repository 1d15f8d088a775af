import type { VolplexConfig } from '../config/config.js';
import { unboundAllowedRoots } from '../core/host-bind-check.js';
import { readDaemonStatus, type DaemonStatus } from '../store/status-file.js';
import type { Finding } from './doctor-findings.js';

/** In a container or plugin (run with `docker-compose exec volplex volplex doctor`): each allowed root must be a mount from the host. */
export async function checkHostBinds(config: VolplexConfig): Promise<Finding[]> {
  if (config.deployment === 'host') {
    return [];
  }
  const problems = await unboundAllowedRoots(config);
  if (problems.length === 0) {
    return [{ level: 'ok', area: 'local', text: `allowed roots ${config.backends.local.allowedRoots.join(', ')} are mounts from the host` }];
  }
  return problems.map((text) => ({ level: 'FAIL', area: 'local', text }));
}

/** What the daemon using this state directory recorded: the last configuration reload, and host binds it could not find. */
export function checkDaemonStatus(config: VolplexConfig): Finding[] {
  const status = readDaemonStatus(config.stateDir);
  if (status === undefined) {
    return [{ level: 'info', area: 'daemon', text: `no daemon status in ${config.stateDir} (no daemon has run with this stateDir; for the managed plugin, set VOLPLEX_STATE_DIR to its state.source)` }];
  }
  return [...reloadFindings(status), ...recordedHostBinds(status, config)];
}

function reloadFindings(status: DaemonStatus): Finding[] {
  const { reload } = status;
  if (reload === undefined) {
    return [{ level: 'info', area: 'config', text: `the daemon (pid ${status.pid}, started ${status.startedAt}) has not reloaded its configuration since it started` }];
  }
  if (!reload.ok) {
    return [{ level: 'FAIL', area: 'config', text: `the last reload (${reload.trigger} at ${reload.at}) was refused and the daemon keeps its previous configuration: ${reload.error ?? 'unknown error'}` }];
  }
  const applied: Finding = { level: 'ok', area: 'config', text: `the last reload (${reload.trigger} at ${reload.at}) was applied${reload.changed.length === 0 ? ' (nothing changed)' : `: ${reload.changed.join(', ')}`}` };
  return reload.keptFixed.length === 0 ? [applied] : [applied, { level: 'info', area: 'config', text: `${reload.keptFixed.join(', ')} changed in the file but need a restart of volplex` }];
}

/** Shown when doctor runs elsewhere than the daemon (on the host, for the managed plugin's state). */
function recordedHostBinds(status: DaemonStatus, config: VolplexConfig): Finding[] {
  const record = status.hostBinds;
  if (record === undefined || record.deployment === config.deployment) {
    return [];
  }
  if (record.problems.length === 0) {
    return record.deployment === 'host' ? [] : [{ level: 'ok', area: 'local', text: `the ${record.deployment} daemon found every allowed root mounted from the host (at ${record.at})` }];
  }
  return record.problems.map((problem) => ({ level: 'FAIL', area: 'local', text: `${problem} (found by the ${record.deployment} daemon at ${record.at})` }));
}
