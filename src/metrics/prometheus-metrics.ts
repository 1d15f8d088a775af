import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { HolderCheckRecorder } from '../core/holder-check-recorder.js';
import type { HolderCheckTrigger } from '../core/stale-references.js';
import type { Census } from './census.js';
import type { CommandEnding, MetricsRecorder, OperationName, ReconcileAction } from './recorder.js';

/** From 1 ms (Get, List) to 120 s (dockerd's deadline for Create and Mount). */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

const EMPTY_CENSUS: Census = { volumes: new Map(), mounts: new Map(), references: 0, backends: [] };

/**
 * volplex's metrics in a registry of their own (the only module that uses prom-client): what
 * requests, commands, heals and reconciles did, recorded as they happen; what exists (volumes,
 * mounts, references, backend health), counted from the census at each scrape.
 */
export class PrometheusMetrics implements MetricsRecorder, HolderCheckRecorder {
  readonly #registry = new Registry();
  readonly #operations: Histogram<'operation' | 'type' | 'result'>;
  readonly #commands: Histogram<'command' | 'result'>;
  readonly #timeouts: Counter<'command'>;
  readonly #heals: Counter<'type'>;
  readonly #reconciles: Counter<'action'>;
  readonly #unknownHolders: Counter<'trigger'>;
  #census: () => Census = () => EMPTY_CENSUS;

  public constructor() {
    const registers = [this.#registry];
    collectDefaultMetrics({ register: this.#registry, prefix: 'volplex_' });
    this.#operations = new Histogram({ name: 'volplex_operation_duration_seconds', help: 'Volume operations (protocol calls) by operation, backend type and result (ok or the error kind).', labelNames: ['operation', 'type', 'result'], buckets: DURATION_BUCKETS, registers });
    this.#commands = new Histogram({ name: 'volplex_command_duration_seconds', help: 'External commands (mount, umount, FUSE clients, probe children) by program and result (ok, failed, timeout, missing).', labelNames: ['command', 'result'], buckets: DURATION_BUCKETS, registers });
    this.#timeouts = new Counter({ name: 'volplex_command_timeouts_total', help: 'External commands killed at their deadline, by program.', labelNames: ['command'], registers });
    this.#heals = new Counter({ name: 'volplex_heals_total', help: 'Dead backend mounts (server or FUSE client gone) replaced by a new mount, by backend type.', labelNames: ['type'], registers });
    this.#reconciles = new Counter({ name: 'volplex_reconcile_actions_total', help: 'What reconciling with the kernel and with the running containers did: backend mounts adopted, references dropped, mounts nobody counted unmounted.', labelNames: ['action'], registers });
    this.#unknownHolders = new Counter({ name: 'volplex_holder_checks_unknown_total', help: 'Holder checks of a volume that could not tell which containers hold it (neither the Docker API nor the host /proc answered), by trigger.', labelNames: ['trigger'], registers });
    this.#gauges(registers);
  }

  /** The gauges count from this at each scrape. */
  public countFrom(census: () => Census): void {
    this.#census = census;
  }

  public get contentType(): string {
    return this.#registry.contentType;
  }

  /** The text exposition format, as `GET /metrics` serves it. */
  public exposition(): Promise<string> {
    return this.#registry.metrics();
  }

  public operation(operation: OperationName, type: string, result: string, seconds: number): void {
    this.#operations.observe({ operation, type, result }, seconds);
  }

  public command(command: string, ending: CommandEnding, seconds: number): void {
    this.#commands.observe({ command, result: ending }, seconds);
    if (ending === 'timeout') {
      this.#timeouts.inc({ command });
    }
  }

  public healed(type: string): void {
    this.#heals.inc({ type });
  }

  public reconciled(action: ReconcileAction, count: number): void {
    if (count > 0) {
      this.#reconciles.inc({ action }, count);
    }
  }

  public staleDropped(_trigger: HolderCheckTrigger, count: number): void {
    this.reconciled('dropped', count);
  }

  public holdersUnknown(trigger: HolderCheckTrigger): void {
    this.#unknownHolders.inc({ trigger });
  }

  #gauges(registers: Registry[]): void {
    const census = (): Census => this.#census();
    new Gauge({ name: 'volplex_volumes', help: 'Volumes, by backend type.', labelNames: ['type'], registers, collect() {
      setEach(this, census().volumes);
    } });
    new Gauge({ name: 'volplex_mounts', help: 'Backend mounts held, by backend type.', labelNames: ['type'], registers, collect() {
      setEach(this, census().mounts);
    } });
    new Gauge({ name: 'volplex_mount_references', help: 'Mount references counted over all volumes (one per container mount point, twice for an ID mounted twice).', registers, collect() {
      this.set(census().references);
    } });
    new Gauge({ name: 'volplex_backend_healthy', help: 'Whether a held backend mount answered its last probe (1) or not (0), by type and mount directory name.', labelNames: ['type', 'key'], registers, collect() {
      this.reset();
      for (const backend of census().backends) {
        if (backend.healthy !== undefined) {
          this.set({ type: backend.type, key: backend.key }, backend.healthy ? 1 : 0);
        }
      }
    } });
  }
}

function setEach(gauge: Gauge<'type'>, byType: ReadonlyMap<string, number>): void {
  gauge.reset();
  byType.forEach((value, type) => { gauge.set({ type }, value); });
}
