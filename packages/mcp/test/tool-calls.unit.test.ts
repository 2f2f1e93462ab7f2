import { callsOfBody } from '../src/tool-calls.js';

describe('callsOfBody: what a JSON-RPC body asks of the gate', () => {
  test('reads one tools/call as its tool_call form (absent arguments = {})', () => {
    expect(
      callsOfBody({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'a' } }),
    ).toEqual({ calls: [{ action: 'a', arguments: {} }], other: false });
  });

  test('reads every call of a batch and flags anything else', () => {
    const body = [
      { method: 'tools/call', params: { name: 'a', arguments: { x: 1 } } },
      { method: 'tools/list' },
    ];
    expect(callsOfBody(body)).toEqual({
      calls: [{ action: 'a', arguments: { x: 1 } }],
      other: true,
    });
  });

  test('a malformed call matches no bound token: its name is empty', () => {
    for (const params of [
      { name: 7 },
      { name: 'a', arguments: [1] },
      { name: 'a', arguments: 'x' },
    ])
      expect(callsOfBody({ method: 'tools/call', params })).toEqual({
        calls: [{ action: '', arguments: {} }],
        other: false,
      });
    expect(callsOfBody('not json-rpc')).toEqual({ calls: [], other: true });
    expect(callsOfBody(undefined)).toEqual({ calls: [], other: false });
  });
});
