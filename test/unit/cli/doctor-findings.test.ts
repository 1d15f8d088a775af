import { describe, expect, it } from '@jest/globals';

import { crashRecoveryFindings } from '../../../src/cli/doctor-findings.js';

const docker = { known: true, source: 'docker', detail: 'Docker API at /var/run/docker.sock', holders: new Map() } as const;

describe(crashRecoveryFindings.name, () => {
  it('fails when neither the Docker API nor the host\'s /proc can tell, saying crash recovery needs one of them', () => {
    const [source] = crashRecoveryFindings({ known: false, reason: 'Docker API at /var/run/docker.sock: no socket there; no dockerd or containerd-shim process is visible in /proc' }, []);
    expect(source).toEqual({
      level: 'FAIL',
      area: 'crash recovery',
      text: "needs the Docker API or the host's /proc to see which containers hold a volume, and neither answers (Docker API at /var/run/docker.sock: no socket there; no dockerd or containerd-shim process is visible in /proc); references a crashed dockerd leaves stay counted: make docker.socket reachable or run volplex in the host PID namespace",
    });
  });

  it('names the source that answers', () => {
    expect(crashRecoveryFindings(docker, [])).toEqual([{ level: 'ok', area: 'crash recovery', text: 'running containers are found through Docker API at /var/run/docker.sock' }]);
    expect(crashRecoveryFindings({ known: true, source: 'kernel', detail: 'the mount tables of 3 container(s) in /proc', holders: new Map() }, [])[0]?.text).toBe("running containers are found through the host's /proc (the mount tables of 3 container(s) in /proc)");
  });

  it('shows each volume in use with its holders, and the references none of them holds as stale', () => {
    const volumes = [
      { name: 'web', references: 1, holders: [{ container: 'nginx', destination: '/usr/share/nginx/html' }] },
      { name: 'lost', references: 2, holders: [] },
      { name: 'unknown', references: 1, holders: undefined },
    ];
    expect(crashRecoveryFindings(docker, volumes).slice(1).map((finding) => `${finding.level} ${finding.text}`)).toEqual([
      'info web: 1 reference(s), held by nginx:/usr/share/nginx/html',
      'info lost: 2 reference(s), held by no running container: 2 stale (no running container accounts for them) until dropped, by the next check if dockerd restarted since they were counted, else at docker volume rm',
      'info unknown: 1 reference(s); which containers hold it cannot be told',
    ]);
  });
});
