import { describe, expect, it } from '@jest/globals';

import { LaneCommandRunner } from '../../../src/system/lane-command-runner.js';
import { ScriptedRunner } from '../../fakes/scripted-runner.js';

describe(LaneCommandRunner.name, () => {
  it.each([
    { desc: 'a quick command (a local bind) runs in the daemon', options: { quick: true }, lane: 'direct' },
    { desc: 'any other command runs in the helper', options: {}, lane: 'helper' },
    { desc: '[never in the daemon] a quick command that starts a daemon runs in the helper', options: { quick: true, startsDaemon: true }, lane: 'helper' },
  ])('$desc', async ({ options, lane }) => {
    const direct = new ScriptedRunner().expect(['mount', '--bind', '--', '/a', '/b']);
    const helper = new ScriptedRunner().expect(['mount', '--bind', '--', '/a', '/b']);
    await new LaneCommandRunner(direct, helper).run('mount', ['--bind', '--', '/a', '/b'], options);
    expect({ direct: direct.calls.length, helper: helper.calls.length }).toEqual(lane === 'direct' ? { direct: 1, helper: 0 } : { direct: 0, helper: 1 });
  });
});
