import type { HolderCheckTrigger } from './stale-references.js';

/**
 * Where metrics count what holder checks do (issue 17 binds its recorder here, under
 * TOKENS.holderCheckRecorder); the default records nothing. Calls are cheap and never throw.
 */
export interface HolderCheckRecorder {
  /** `count` references were dropped because no running container held them. */
  staleDropped(trigger: HolderCheckTrigger, count: number): void;
  /** A volume's check could not tell who holds it (neither the Docker API nor the host's /proc answered). */
  holdersUnknown(trigger: HolderCheckTrigger): void;
}

export const NO_HOLDER_CHECK_RECORDER: HolderCheckRecorder = Object.freeze({
  staleDropped: () => undefined,
  holdersUnknown: () => undefined,
});
