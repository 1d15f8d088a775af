import type { Logger } from '../log/logger.js';
import { outsideRequests } from '../log/request-context.js';
import type { HolderReport } from '../system/holder-finder.js';
import type { HolderCheckTrigger } from './stale-references.js';

/** After Activate: dockerd restores its containers first and answers its API after; check until it does. */
const SETTLE_DELAYS_MS: readonly number[] = [1000, 3000, 7000, 15_000, 31_000];

type Check = (trigger: HolderCheckTrigger) => Promise<HolderReport | undefined>;

/** When holder checks run by themselves: periodically, and a few times after each Activate. Timers never keep the process alive. */
export class HolderCheckSchedule {
  readonly #check: Check;
  readonly #log: Logger;
  readonly #timers = new Set<NodeJS.Timeout>();
  /** A newer Activate (or stop) ends the checks an older one scheduled. */
  #generation = 0;

  public constructor(check: Check, log: Logger) {
    this.#check = check;
    this.#log = log;
  }

  public startPeriodic(seconds: number): void {
    if (seconds === 0) {
      return;
    }
    const timer = setInterval(() => {
      this.#check('periodic').catch((error: unknown) => { this.#log.warn({ err: error }, 'holder check failed'); });
    }, seconds * 1000);
    timer.unref();
    this.#timers.add(timer);
  }

  /** Checks at 1, 3, 7, 15 and 31 s, until one got its answer from the Docker API (dockerd done restoring) or nothing is in use. */
  public afterActivate(): void {
    this.#generation += 1;
    this.#settle(this.#generation, 0);
  }

  public stop(): void {
    this.#timers.forEach((timer) => { clearTimeout(timer); });
    this.#timers.clear();
    this.#generation += 1;
  }

  #settle(generation: number, step: number): void {
    const delay = SETTLE_DELAYS_MS[step];
    if (delay === undefined || generation !== this.#generation) {
      return;
    }
    // Armed by Activate, run as background work: their log lines are not Activate's.
    const timer = outsideRequests(() => setTimeout(() => {
      this.#timers.delete(timer);
      this.#check('activate').then(
        (report) => {
          if (report !== undefined && !(report.known && report.source === 'docker')) {
            this.#settle(generation, step + 1);
          }
        },
        (error: unknown) => {
          this.#log.warn({ err: error }, 'holder check after activation failed');
          this.#settle(generation, step + 1);
        },
      );
    }, delay - (SETTLE_DELAYS_MS[step - 1] ?? 0)));
    timer.unref();
    this.#timers.add(timer);
  }
}
