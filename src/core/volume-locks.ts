import { injectable } from 'inversify';

import { KeyedLock } from './keyed-lock.js';

/** The per-volume lock, one for the whole daemon: protocol calls and holder checks of one volume never interleave. */
@injectable()
export class VolumeLocks extends KeyedLock {}
