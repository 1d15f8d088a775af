import { describeHolder } from '../core/holder-findings.js';
import type { VolumeHolding } from '../core/holder-reconciler.js';
import type { HolderReport } from '../system/holder-finder.js';

/** One line of `volplex doctor` (one object of `doctor --json`). `skipped`: a backend nothing uses. */
export interface Finding {
  readonly level: 'ok' | 'FAIL' | 'info' | 'skipped';
  readonly area: string;
  readonly text: string;
  /** A volume in use: its name and its references, as Get's Status counts them. */
  readonly volume?: string;
  readonly references?: number;
  /** References no running container accounts for; undefined when which containers hold it cannot be told. */
  readonly staleReferences?: number;
}

/** Where holders come from (FAIL when nothing can tell), then each volume in use with its holders and stale references. */
export function crashRecoveryFindings(report: HolderReport, volumes: readonly VolumeHolding[]): Finding[] {
  return [describeSource(report), ...volumes.map(describeHolding)];
}

function describeSource(report: HolderReport): Finding {
  if (!report.known) {
    return { level: 'FAIL', area: 'crash recovery', text: `needs the Docker API or the host's /proc to see which containers hold a volume, and neither answers (${report.reason}); references a crashed dockerd leaves stay counted: make docker.socket reachable or run volplex in the host PID namespace` };
  }
  return { level: 'ok', area: 'crash recovery', text: `running containers are found through ${report.source === 'docker' ? report.detail : `the host's /proc (${report.detail})`}` };
}

function describeHolding(volume: VolumeHolding): Finding {
  const counted = `${volume.name}: ${volume.references} reference(s)`;
  const facts = { level: 'info', area: 'references', volume: volume.name, references: volume.references } as const;
  if (volume.holders === undefined) {
    return { ...facts, text: `${counted}; which containers hold it cannot be told` };
  }
  const stale = Math.max(0, volume.references - volume.holders.length);
  const held = volume.holders.length === 0 ? 'held by no running container' : `held by ${volume.holders.map(describeHolder).join(', ')}`;
  return { ...facts, staleReferences: stale, text: stale > 0 ? `${counted}, ${held}: ${stale} stale (no running container accounts for them) until dropped, by the next check if dockerd restarted since they were counted, else at docker volume rm` : `${counted}, ${held}` };
}
