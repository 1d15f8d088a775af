import { injectable, multiInject } from 'inversify';

import { TOKENS } from '../app/tokens.js';
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
      throw new VolplexError('InvalidParameter', `unknown type ${JSON.stringify(type)}; valid types: ${this.types().join(', ')}`);
    }
    return driver;
  }

  public find(type: string): VolumeDriver | undefined {
    return this.#byName.get(type);
  }

  public types(): string[] {
    return [...this.#byName.keys()].sort();
  }
}
