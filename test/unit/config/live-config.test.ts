import { describe, expect, it } from '@jest/globals';

import { LiveConfig } from '../../../src/config/live-config.js';
import { testConfig } from '../../support/harness.js';

describe(LiveConfig.name, () => {
  const start = testConfig('/srv/t');

  describe('.replace', () => {
    it('takes reloadable settings and names the sections that changed', () => {
      const live = new LiveConfig(start);
      const next = { ...start, defaultType: 's3fs', credentials: { lab: { accessKeyId: 'A', accessKeySecret: 'S' } }, backends: { ...start.backends, s3fs: { ...start.backends.s3fs, url: 'http://s3.lab' } } };
      expect(live.replace(next)).toEqual({ changed: ['defaultType', 'credentials', 'backends.s3fs'], keptFixed: [] });
      expect(live.current).toEqual(next);
    });

    it('keeps socket, stateDir, mountRoot, scope, commandTimeout and deployment at their start values, and names them', () => {
      const live = new LiveConfig(start);
      const next = { ...start, socket: '/run/other.sock', stateDir: '/x', mountRoot: '/x/m', scope: 'global' as const, commandTimeout: 5, deployment: 'container' as const, log: { level: 'debug' as const } };
      expect(live.replace(next)).toEqual({ changed: ['log'], keptFixed: ['socket', 'stateDir', 'mountRoot', 'scope', 'commandTimeout', 'deployment'] });
      expect(live.current).toEqual({ ...start, log: { level: 'debug' } });
    });

    it('reports nothing for an equal configuration', () => {
      const live = new LiveConfig(start);
      expect(live.replace(structuredClone(start))).toEqual({ changed: [], keptFixed: [] });
    });
  });
});
