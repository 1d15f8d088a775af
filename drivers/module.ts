import { ContainerModule } from 'inversify';

import { TOKENS } from '../src/app/tokens.js';
import type { VolumeDriver } from '../src/core/driver.js';
import { GlusterfsDriver } from './glusterfs.js';
import { LocalDriver } from './local.js';
import { NfsDriver } from './nfs.js';
import { OssfsDriver } from './ossfs.js';
import { S3fsDriver } from './s3fs.js';

/** Every backend volplex offers. A new backend is one file in drivers/ and one line here. */
export const driversModule = new ContainerModule(({ bind }) => {
  bind<VolumeDriver>(TOKENS.driver).to(LocalDriver).inSingletonScope();
  bind<VolumeDriver>(TOKENS.driver).to(GlusterfsDriver).inSingletonScope();
  bind<VolumeDriver>(TOKENS.driver).to(S3fsDriver).inSingletonScope();
  bind<VolumeDriver>(TOKENS.driver).to(OssfsDriver).inSingletonScope();
  bind<VolumeDriver>(TOKENS.driver).to(NfsDriver).inSingletonScope();
});
