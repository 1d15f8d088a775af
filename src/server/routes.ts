/** The Docker volume plugin protocol's endpoints; every call is a POST. */
export const ROUTES = {
  activate: '/Plugin.Activate',
  capabilities: '/VolumeDriver.Capabilities',
  create: '/VolumeDriver.Create',
  get: '/VolumeDriver.Get',
  list: '/VolumeDriver.List',
  mount: '/VolumeDriver.Mount',
  unmount: '/VolumeDriver.Unmount',
  path: '/VolumeDriver.Path',
  remove: '/VolumeDriver.Remove',
} as const;

/** The largest request body accepted; real requests are a few hundred bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;
