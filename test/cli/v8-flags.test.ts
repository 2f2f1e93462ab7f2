import { readFileSync } from 'node:fs';
import {
  BATON_NODE_FLAGS,
  BATON_V8_FLAGS,
  flagsToApply,
  nodeFlagsToAdd,
} from '../../src/cli/v8-flags.js';

describe('the CLI V8 flags', () => {
  const ours = BATON_V8_FLAGS.map((f) => f.flag);

  it('applies every flag of ours when the operator set none', () => {
    expect(flagsToApply([], '')).toEqual(ours);
    expect(flagsToApply(['--enable-source-maps'], '--max-old-space-size=512')).toEqual(ours);
  });

  it("leaves a flag the operator set, by either spelling or place, to the operator's value", () => {
    expect(flagsToApply(['--heap-growing-percent=80'])).not.toContain('--heap-growing-percent=50');
    expect(flagsToApply([], '--heap_growing_percent=80')).not.toContain(
      '--heap-growing-percent=50',
    );
    expect(flagsToApply(['--liftoff'])).not.toContain('--no-liftoff');
    expect(flagsToApply([], '  --no-liftoff  ')).not.toContain('--no-liftoff');
  });
});

describe('the Node flags set on the command line', () => {
  const root = new URL('../../', import.meta.url);
  const read = (f: string) => readFileSync(new URL(f, root), 'utf8');

  it('adds each recommended flag a forked worker would not otherwise have', () => {
    expect(nodeFlagsToAdd([])).toEqual(BATON_NODE_FLAGS);
    expect(nodeFlagsToAdd(['--max-semi-space-size=32'])).toEqual([]);
    expect(nodeFlagsToAdd([], '--max_semi_space_size=2')).toEqual([]);
  });

  it('are the ones the Dockerfile and npm start pass', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(read('Dockerfile'))?.[1];
    const argv = JSON.parse(cmd ?? '[]') as string[];
    const start = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts
      .start;
    for (const flag of BATON_NODE_FLAGS) {
      expect(argv.slice(1, argv.indexOf('dist/cli/baton.js'))).toContain(flag);
      expect(start).toContain(`tsx ${flag} `);
    }
  });
});
