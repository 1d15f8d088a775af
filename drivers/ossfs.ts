import { inject, injectable } from 'inversify';

import { TOKENS } from '../src/app/tokens.js';
import type { LiveConfig } from '../src/config/live-config.js';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET } from '../src/core/option-checks.js';
import type { Mounter } from '../src/system/mounter.js';
import { ObjectStoreDriver } from './object-store.js';

/** Where an ossfs comes from, said when it is missing (at Mount, in volplex doctor). */
export const OSSFS_SOURCES = "get Aliyun's ossfs release package for your distribution (https://github.com/aliyun/ossfs/releases), or build it from its source with packaging/build-ossfs.sh; or point backends.ossfs.binary at one";

/**
 * Aliyun OSS through ossfs, Aliyun's fork of s3fs with the same command line. The
 * `ak_id`/`ak_secret` options keep older setups working; a credentials profile is better.
 */
@injectable()
export class OssfsDriver extends ObjectStoreDriver {
  public constructor(@inject(TOKENS.config) config: LiveConfig, @inject(TOKENS.mounter) mounter: Mounter) {
    super(
      {
        type: 'ossfs',
        aliases: ['oss'],
        providedBy: `not packaged by Debian: ${OSSFS_SOURCES}`,
        extraOptions: [
          { name: 'ak_id', description: 'AccessKey ID (visible in docker volume inspect: prefer -o credentials=)', grammar: ACCESS_KEY_ID, sensitive: true },
          { name: 'ak_secret', description: 'AccessKey secret (visible in docker volume inspect: prefer -o credentials=)', grammar: ACCESS_KEY_SECRET, sensitive: true },
        ],
      },
      config,
      mounter,
    );
  }

  protected flavorOptions(): string[] {
    return [];
  }

  // ossfs caches missing objects unless told not to: it has disable_noobj_cache, not s3fs's enable_noobj_cache.
  protected override flagOption(name: string, on: boolean): string[] {
    if (name === 'enable_noobj_cache') {
      return on ? [] : ['disable_noobj_cache'];
    }
    return super.flagOption(name, on);
  }
}
