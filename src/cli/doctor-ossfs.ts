import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { OSSFS_SOURCES } from '../../drivers/ossfs.js';
import { quote } from '../base/quote.js';
import { ExecaCommandRunner } from '../system/execa-command-runner.js';
import { findProgram } from '../system/preflight.js';
import type { Finding } from './doctor-findings.js';

const VERSION_TIMEOUT_SECONDS = 5;

/** The ossfs Mount would run: where it is and which version it says it is; where to get one when there is none. */
export async function checkOssfs(binary: string): Promise<Finding> {
  const path = await findProgram(binary);
  if (path === undefined) {
    return { level: 'FAIL', area: 'ossfs', text: `${binary} is not installed: ${OSSFS_SOURCES}` };
  }
  // Not the daemon's output directory: the daemon may be running, and empties its own at start.
  const outputDir = await mkdtemp(join(tmpdir(), 'volplex-doctor-'));
  try {
    const { stdout } = await new ExecaCommandRunner(VERSION_TIMEOUT_SECONDS, outputDir).run(path, ['--version']);
    const said = stdout.split('\n')[0]?.trim() ?? '';
    const version = /\bV(\d+\.\d+(?:\.\d+)?)\b/.exec(said)?.[1];
    if (version === undefined || !said.includes('Open Storage Service')) {
      return { level: 'info', area: 'ossfs', text: `${path} is not Aliyun's ossfs by its --version (${quote(said)}); for OSS, ${OSSFS_SOURCES}` };
    }
    return { level: 'ok', area: 'ossfs', text: `ossfs ${version} is ${path}` };
  } catch (error) {
    return { level: 'FAIL', area: 'ossfs', text: `${path} is installed but does not run (${error instanceof Error ? error.message : String(error)}): is a library it needs missing (libfuse2, libcurl4, libxml2, libssl3)?` };
  } finally {
    await rm(outputDir, { recursive: true, force: true });
  }
}
