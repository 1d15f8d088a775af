import { inject, injectable } from 'inversify';

import { TOKENS } from '../src/app/tokens.js';
import type { LiveConfig } from '../src/config/live-config.js';
import type { Volume } from '../src/core/driver.js';
import { booleanOption } from '../src/core/option-checks.js';
import type { Mounter } from '../src/system/mounter.js';
import { ObjectStoreDriver } from './object-store.js';

/** Any S3-compatible store (AWS, MinIO, Ceph RGW, …) through s3fs-fuse. */
@injectable()
export class S3fsDriver extends ObjectStoreDriver {
  public constructor(@inject(TOKENS.config) config: LiveConfig, @inject(TOKENS.mounter) mounter: Mounter) {
    super(
      {
        type: 's3fs',
        aliases: ['s3'],
        providedBy: 'Debian package s3fs',
        extraOptions: [{ ...booleanOption('path_style', 'address the bucket as a URL path (default: backends.s3fs.pathStyle)', false), default: undefined }],
      },
      config,
      mounter,
    );
  }

  protected flavorOptions(volume: Volume): string[] {
    const pathStyle = volume.options.path_style === undefined ? this.config.backends.s3fs.pathStyle : volume.options.path_style === 'true';
    return pathStyle ? ['use_path_request_style'] : [];
  }
}
