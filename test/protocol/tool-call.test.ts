import {
  argumentsBytes,
  argumentsDigest,
  TOOL_ACTION_PATTERN,
  toolCallDetail,
  toolCallMismatch,
} from '../../src/protocol/index.js';

const TOOL = 'https://tickets.example';

describe('tool_call: one canonical form for the SDK, the server and the middleware', () => {
  test('reordered keys are the same call; other values are not', () => {
    const d = toolCallDetail(
      TOOL,
      { action: 'close', arguments: { id: 't-1', why: 'done' } },
      4096,
    );
    expect(toolCallMismatch(d, { action: 'close', arguments: { why: 'done', id: 't-1' } })).toBe(
      undefined,
    );
    expect(toolCallMismatch(d, { action: 'close', arguments: { id: 't-2', why: 'done' } })).toBe(
      'arguments',
    );
    expect(toolCallMismatch(d, { action: 'list', arguments: { id: 't-1', why: 'done' } })).toBe(
      'action',
    );
    expect(toolCallMismatch(d, { action: 'close' })).toBe('arguments');
  });

  test('arguments over the cap are bound by the SHA-256 of their canonical form', () => {
    const big = { text: 'é'.repeat(40) }; // 40 characters, 80 UTF-8 bytes
    const d = toolCallDetail(TOOL, { action: 'note', arguments: big }, 60);
    expect(d.arguments).toBeUndefined();
    expect(d.arguments_sha256).toBe(argumentsDigest({ text: 'é'.repeat(40) }));
    expect(toolCallMismatch(d, { action: 'note', arguments: { text: 'é'.repeat(40) } })).toBe(
      undefined,
    );
    expect(toolCallMismatch(d, { action: 'note', arguments: { text: 'e'.repeat(40) } })).toBe(
      'arguments',
    );
  });

  test('sizes count UTF-8 bytes of the canonical form', () => {
    expect(argumentsBytes({ a: 'é' })).toBe('{"a":"é"}'.length + 1);
  });

  test('a detail without arguments binds the action only', () => {
    const d = toolCallDetail(TOOL, { action: 'list' }, 4096);
    expect(d).toEqual({ type: 'tool_call', tool: TOOL, action: 'list' });
    expect(toolCallMismatch(d, { action: 'list', arguments: { page: 2 } })).toBe(undefined);
  });

  test('actions follow MCP tool names: up to 128 characters', () => {
    expect(TOOL_ACTION_PATTERN.test('a'.repeat(128))).toBe(true);
    expect(TOOL_ACTION_PATTERN.test('a'.repeat(129))).toBe(false);
    expect(TOOL_ACTION_PATTERN.test('get weather')).toBe(false);
  });
});
