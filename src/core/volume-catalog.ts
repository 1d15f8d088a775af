import { join } from 'node:path';

import { inject, injectable } from 'inversify';

import { TOKENS } from '../app/tokens.js';
import type { LiveConfig } from '../config/live-config.js';
import type { VolplexConfig } from '../config/config.js';
import type { VolumeRecord } from '../store/store.js';
import { backendKey, backendTarget } from './backend-key.js';
import type { MountPlan, Volume, VolumeDriver } from './driver.js';
import { DriverRegistry } from './driver-registry.js';
import { inlineSecretOptions } from './inline-secrets.js';
import { resolveOptions } from './option-table.js';

/** A stored volume with everything derived from its options: computed once per record and configuration. */
export interface ResolvedVolume {
  readonly driver: VolumeDriver;
  readonly volume: Volume;
  readonly plan: MountPlan;
  /** Where the plan puts the backend mount (its key names it) and the Mountpoint: where a new mount goes. */
  readonly placement: Placement;
  /** Sensitive options given with -o (never their values). */
  readonly inlineSecrets: readonly string[];
}

/** Where a volume's backend mount is and its Mountpoint inside it. */
export interface Placement {
  readonly key: string;
  readonly target: string;
  readonly mountpoint: string;
}

type Derived = { readonly ok: true; readonly resolved: ResolvedVolume } | { readonly ok: false; readonly error: unknown };

/**
 * The one owner of what a volume's options mean: driver, checked options, mount plan, backend
 * key and Mountpoint. Stores never change a record in place, so a record object names one
 * version of a volume and is the cache key; a configuration reload starts a new cache (plans
 * may use configured defaults). Get, List and Path then never parse, hash or normalise.
 */
@injectable()
export class VolumeCatalog {
  readonly #registry: DriverRegistry;
  readonly #config: LiveConfig;
  readonly #mountRoot: string;
  #derived = new WeakMap<VolumeRecord, Derived>();
  #derivedFor: VolplexConfig;

  public constructor(@inject(DriverRegistry) registry: DriverRegistry, @inject(TOKENS.config) config: LiveConfig) {
    this.#registry = registry;
    this.#config = config;
    // mountRoot is a fixed setting: targets stay valid across reloads.
    this.#mountRoot = config.current.mountRoot;
    this.#derivedFor = config.current;
  }

  /** Throws the VolplexError of options that no longer resolve (a driver or option gone since). */
  public resolve(record: VolumeRecord): ResolvedVolume {
    const derived = this.#derive(record);
    if (!derived.ok) {
      throw derived.error;
    }
    return derived.resolved;
  }

  /** Undefined when the options no longer resolve. */
  public tryResolve(record: VolumeRecord): ResolvedVolume | undefined {
    const derived = this.#derive(record);
    return derived.ok ? derived.resolved : undefined;
  }

  /** A volume in use stays on the backend it holds (`heldKey`), even if its plan changed since. */
  public placement(resolved: ResolvedVolume, heldKey: string | null): Placement {
    return heldKey === null || heldKey === resolved.placement.key ? resolved.placement : this.#place(heldKey, resolved.plan);
  }

  /** `<mountRoot>/<type>-<hash>` of a backend key. */
  public target(key: string): string {
    return backendTarget(this.#mountRoot, key);
  }

  #place(key: string, plan: MountPlan): Placement {
    const target = this.target(key);
    return { key, target, mountpoint: plan.subdir === '' ? target : join(target, plan.subdir) };
  }

  #derive(record: VolumeRecord): Derived {
    if (this.#derivedFor !== this.#config.current) {
      this.#derivedFor = this.#config.current;
      this.#derived = new WeakMap();
    }
    let derived = this.#derived.get(record);
    if (derived === undefined) {
      derived = this.#compute(record);
      this.#derived.set(record, derived);
    }
    return derived;
  }

  #compute(record: VolumeRecord): Derived {
    try {
      const driver = this.#registry.get(record.type);
      const volume: Volume = { name: record.name, type: driver.type, options: resolveOptions(driver.type, driver.options, record.options) };
      const plan = driver.plan(volume);
      return { ok: true, resolved: { driver, volume, plan, placement: this.#place(backendKey(driver.type, plan.key), plan), inlineSecrets: inlineSecretOptions(driver.options, volume.options) } };
    } catch (error) {
      return { ok: false, error };
    }
  }
}
