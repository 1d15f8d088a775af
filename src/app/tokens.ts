/** Service identifiers of the inversify container. */
export const TOKENS = {
  config: Symbol.for('volplex.Config'),
  logger: Symbol.for('volplex.Logger'),
  runner: Symbol.for('volplex.CommandRunner'),
  mounter: Symbol.for('volplex.Mounter'),
  store: Symbol.for('volplex.Store'),
  driver: Symbol.for('volplex.VolumeDriver'),
  holderFinder: Symbol.for('volplex.HolderFinder'),
  holderCheckRecorder: Symbol.for('volplex.HolderCheckRecorder'),
  metrics: Symbol.for('volplex.MetricsRecorder'),
} as const;
