import { randomUUID } from 'node:crypto';
import type { BatonVerifier } from '@baton/resource-server';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Request, RequestHandler, Response } from 'express';
import { MCP_DEFAULTS } from '../defaults.js';

/** What `serve` needs of an MCP server: the SDK's `McpServer` or `Server`. */
export interface ConnectableServer {
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
}

/** Why a session ended: the client said so, or the task or token behind it was revoked. */
export type SessionEnd = 'closed' | 'revoked';

export interface SessionOptions {
  /** Open sessions held at most (default 10,000); an `initialize` beyond is refused with 503. */
  maxSessions?: number;
  /** Called once per ended session (the id, and why); never with a token. */
  onSessionEnded?: (sessionId: string, why: SessionEnd) => void;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: ConnectableServer;
  /** The task the session belongs to: every request on it must carry a token of this task. */
  txn: string;
  /** The token last presented on the session, watched for revocation. */
  token: string;
}

const rpcError = (res: Response, status: number, message: string) =>
  res.status(status).json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });

/**
 * Streamable HTTP sessions of one MCP server behind the gate (`req.baton` set): a session per
 * `initialize`, bound to the task of its first token; ended when the token last presented on it
 * is revoked (the verifier's feed), so an open stream does not outlive its task.
 */
export function sessionHandler(
  verifier: BatonVerifier,
  makeServer: () => ConnectableServer,
  o: SessionOptions = {},
): { handler: RequestHandler; close(): Promise<void> } {
  const sessions = new Map<string, Session>();
  const end = async (id: string, why: SessionEnd) => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    o.onSessionEnded?.(id, why);
    await s.server.close().catch(() => {});
  };
  const stop = verifier.onRevocation(() => {
    // Unsure (Baton unreachable) ends nothing: the session's next request is refused anyway.
    for (const [id, s] of sessions)
      verifier.isActive(s.token).then(
        (active) => (active ? undefined : end(id, 'revoked')),
        () => {},
      );
  });

  const handler: RequestHandler = (req: Request, res: Response) => {
    const principal = req.baton;
    if (!principal) {
      rpcError(res, 500, 'the Baton gate must run before the MCP handler');
      return;
    }
    const id = req.get('mcp-session-id');
    const run = async () => {
      if (id) {
        const s = sessions.get(id);
        if (!s) return void rpcError(res, 404, 'Session not found');
        if (s.txn !== principal.txn)
          return void rpcError(res, 403, 'the session belongs to another task');
        s.token = principal.token;
        return s.transport.handleRequest(req, res, req.body);
      }
      if (req.method !== 'POST' || !isInitializeRequest(req.body))
        return void rpcError(res, 400, 'Bad Request: no valid session id');
      // Bounded: each session holds a server and a transport until it ends.
      if (sessions.size >= (o.maxSessions ?? MCP_DEFAULTS.maxSessions)) {
        res.set('Retry-After', '5');
        return void rpcError(res, 503, 'too many open MCP sessions');
      }
      const server = makeServer();
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => {
          sessions.set(sid, { transport, server, txn: principal.txn, token: principal.token });
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) void end(transport.sessionId, 'closed');
      };
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    };
    run().catch(() => {
      if (!res.headersSent) rpcError(res, 500, 'Internal error');
    });
  };
  return {
    handler,
    async close() {
      stop();
      await Promise.all([...sessions.keys()].map((id) => end(id, 'closed')));
    },
  };
}
