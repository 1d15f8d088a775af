import { injectable, multiInject } from 'inversify';

import { TOKENS } from '../app/tokens.js';
import { quote } from '../base/quote.js';
import type { VolumeDriver } from './driver.js';
import { VolplexError } from './errors.js';

/** The registered backends, by type and alias. */
@injectable()
export class DriverRegistry {
  readonly #byName = new Map<string, VolumeDriver>();

  public constructor(@multiInject(TOKENS.driver) drivers: VolumeDriver[]) {
    for (const driver of drivers) {
      for (const name of [driver.type, ...driver.aliases]) {
        this.#byName.set(name, driver);
      }
    }
  }

  /** Throws InvalidParameter listing the registered types. */
  public get(type: string): VolumeDriver {
    const driver = this.#byName.get(type);
    if (driver === undefined) {
      throw new VolplexError('InvalidParameter', `unknown type ${quote(type)}; valid types: ${this.describeTypes()}`);
    }
    return driver;
  }

  /** Every registered type (no aliases), sorted. */
  public types(): string[] {
    return [...new Set([...this.#byName.values()].map((driver) => driver.type))].sort();
  }

  public find(type: string): VolumeDriver | undefined {
    return this.#byName.get(type);
  }

  /** "glusterfs (or gluster), local (or bind)". */
  public describeTypes(): string {
    const drivers = [...new Set(this.#byName.values())].sort((a, b) => a.type.localeCompare(b.type));
    return drivers.map((driver) => (driver.aliases.length === 0 ? driver.type : `${driver.type} (or ${driver.aliases.join(', ')})`)).join(', ');
  }
}
