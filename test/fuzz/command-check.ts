import { join } from 'node:path';

import type { VolplexConfig } from '../../src/config/config.js';

// The options each backend may put on a command line, spelled out here independently of the
// drivers: an option smuggled in through a value (`url=http://h,use_cache=/x`) shows up as a
// key outside its list.
const BIND = ['bind', 'ro'];
const GLUSTERFS = ['ro', 'log-level', 'server-port', 'transport', 'attribute-timeout', 'entry-timeout', 'negative-timeout', 'direct-io-mode', 'fetch-attempts', 'reader-thread-count', 'backup-volfile-servers', 'log-file'];
const NFS = ['vers', 'timeo', 'retrans', 'rsize', 'wsize', 'nconnect', 'port', 'mountport', 'proto', 'sec', 'actimeo', 'hard', 'soft', 'noatime', 'nolock', 'noresvport', 'nocto', 'ro'];
const OBJECT_STORE = [
  'passwd_file', 'url', 'logfile', 'dbglevel', 'connect_timeout', 'retries', 'uid', 'gid', 'umask', 'allow_other', 'stat_cache_expire',
  'max_stat_cache_size', 'enable_noobj_cache', 'disable_noobj_cache', 'parallel_count', 'multipart_size', 'readwrite_timeout', 'ro', 'use_path_request_style',
];
// The probe children's programs (src/system/mount-probe.ts).
const CHECKS = ['stat', 'mkdir', 'chown', 'realpath'];
// Options whose value is a path volplex chose: it must be its own runtime directory.
const OWN_PATHS = ['log-file', 'passwd_file', 'logfile'];

/** Why an argv volplex ran breaks the rules, or [] when it keeps them. */
export function commandProblems(argv: readonly string[], config: VolplexConfig): string[] {
  const [file = '', ...args] = argv;
  const client = file === config.backends.s3fs.binary || file === config.backends.ossfs.binary;
  // mount, umount and showmount take `--`; the FUSE clients cannot (libfuse appends options after the arguments).
  const separator = client ? args.length - 2 : args.indexOf('--');
  const before = separator < 0 ? args : args.slice(0, separator);
  const positionals = separator < 0 ? [] : args.slice(client ? separator : separator + 1);
  const problems: string[] = [];
  const belowMountRoot = (path: string | undefined): boolean => path?.startsWith(`${config.mountRoot}/`) === true;
  if (separator < 0) {
    problems.push('no "--" before the positional arguments');
  }
  if (positionals.some((value) => value.startsWith('-'))) {
    problems.push('a positional argument starts with "-"');
  }
  const options = (allowed: readonly string[], lists: readonly string[]): void => {
    for (const option of lists.flatMap((list) => list.split(','))) {
      const at = option.indexOf('=');
      const key = at < 0 ? option : option.slice(0, at);
      const value = at < 0 ? '' : option.slice(at + 1);
      if (!allowed.includes(key)) {
        problems.push(`option ${JSON.stringify(key)} is not on the allow-list`);
      }
      if (/[\s=]/u.test(value) || /[\p{Cc}\p{Cf}]/u.test(value)) {
        problems.push(`option ${JSON.stringify(key)} has a value with a separator or control character`);
      }
      if (OWN_PATHS.includes(key) && !value.startsWith(`${join(config.stateDir, 'run')}/`)) {
        problems.push(`option ${key} names ${JSON.stringify(value)}, outside the runtime directory`);
      }
    }
  };
  const flagValues = (flag: string): string[] => before.flatMap((arg, index) => (arg === flag && index + 1 < before.length ? [before[index + 1] ?? ''] : []));
  const unexpected = (known: readonly string[]): void => {
    const rest = before.filter((arg, index) => !known.includes(arg) && !known.includes(before[index - 1] ?? ''));
    if (rest.length > 0) {
      problems.push(`unexpected arguments ${JSON.stringify(rest)}`);
    }
  };
  if (file === 'mount') {
    const [fstype] = flagValues('-t');
    const allowed = fstype === undefined ? BIND : fstype === 'glusterfs' ? GLUSTERFS : fstype === 'nfs' ? NFS : [];
    if (allowed.length === 0) {
      problems.push(`mount of type ${String(fstype)}`);
    }
    options(allowed, flagValues('-o'));
    unexpected(['-t', '-o']);
    if (positionals.length !== 2 || !belowMountRoot(positionals[1])) {
      problems.push(`mount positionals ${JSON.stringify(positionals)} are not (source, target below the mount root)`);
    }
  } else if (file === 'umount') {
    unexpected(['-c', '-f', '-l']);
    if (positionals.length !== 1 || !belowMountRoot(positionals[0])) {
      problems.push(`umount of ${JSON.stringify(positionals)}`);
    }
  } else if (client) {
    options(OBJECT_STORE, flagValues('-o'));
    unexpected(['-o']);
    if (positionals.length !== 2 || !/^[a-z0-9][a-z0-9.-]+[a-z0-9](:\/.*)?$/.test(positionals[0] ?? '') || !belowMountRoot(positionals[1])) {
      problems.push(`client positionals ${JSON.stringify(positionals)} are not (bucket[:/prefix], target below the mount root)`);
    }
  } else if (CHECKS.includes(file)) {
    // A look inside a network or FUSE mount, run in a killable child: only below the mount root.
    const strays = before.filter((arg) => !/^(--format=[%a-zA-Z ]+|-p|--mode=[0-7]{4}|-e)$/.test(arg));
    if (strays.length > 0) {
      problems.push(`unexpected arguments ${JSON.stringify(strays)}`);
    }
    if (!belowMountRoot(positionals.at(-1))) {
      problems.push(`${file} of ${JSON.stringify(positionals)}, not below the mount root`);
    }
  } else if (file === 'showmount') {
    unexpected(['--exports', '--no-headers']);
  } else {
    problems.push(`unexpected program ${JSON.stringify(file)}`);
  }
  return problems.map((problem) => `${problem}: ${JSON.stringify(argv)}`);
}
