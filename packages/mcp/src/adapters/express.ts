/**
 * `@baton/mcp/express`: an MCP server (the official SDK's Streamable HTTP transport) behind
 * Baton tokens — the gate that sets the SDK's `req.auth`, the bound `tools/call`, per-tool
 * scopes, RFC 9728 metadata, and sessions that end when their task is revoked.
 */
import {
  assertToolCall,
  type BatonPrincipal,
  type BatonVerifier,
  createVerifier,
  type VerifierOptions,
} from '@baton/resource-server';
import { batonExpress } from '@baton/resource-server/express';
import type {} from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import express, { type Request, type RequestHandler, Router } from 'express';
import { authInfoOf } from '../auth-info.js';
import { MCP_DEFAULTS } from '../defaults.js';
import { callsOfBody } from '../tool-calls.js';
import { type ConnectableServer, type SessionOptions, sessionHandler } from './sessions.js';

export type { ConnectableServer, SessionEnd, SessionOptions } from './sessions.js';

/** What one MCP tool asks of a token beyond the server's own scope. */
export interface ToolRule {
  /** Scopes a `tools/call` of this tool needs (all of them), on top of the server's `scope`. */
  scope?: string | readonly string[];
  /** Only a token bound to this very call (RFC 9396 `tool_call`) may run this tool. */
  requireBound?: boolean;
}

export interface BatonMcpOptions extends SessionOptions {
  /** Scopes every request needs (initialize, tools/list, ...); default none. */
  scope?: string | readonly string[];
  /** Rules per MCP tool name. */
  tools?: Record<string, ToolRule>;
  /** The origin clients address (the DPoP `htu`) when a proxy sits in front; default the Host. */
  publicOrigin?: string;
}

export interface BatonMcp {
  verifier: BatonVerifier;
  /** Middleware after a JSON body parser: 401/403/503 with the exact challenge, or `req.auth`. */
  gate(): RequestHandler;
  /** The RFC 9728 metadata routes (`/.well-known/oauth-protected-resource[/path]`). */
  metadata(): Router;
  /** Streamable HTTP sessions of the server `makeServer` makes (one per session); after the gate. */
  serve(makeServer: () => ConnectableServer): RequestHandler;
  /** Everything at `path`: metadata, JSON body, gate, sessions. */
  router(path: string, makeServer: () => ConnectableServer): Router;
  /** Ends every session and stops the verifier (when made here). */
  close(): Promise<void>;
}

const list = (s: string | readonly string[] | undefined): string[] =>
  s === undefined ? [] : typeof s === 'string' ? s.split(' ').filter(Boolean) : [...s];

/** Baton for one MCP server: a verifier made from options (or given), and its Express parts. */
export function batonMcp(
  o: (VerifierOptions | { verifier: BatonVerifier }) & BatonMcpOptions,
): BatonMcp {
  const verifier = 'verifier' in o ? o.verifier : createVerifier(o);
  const own = !('verifier' in o);
  const http = batonExpress({
    verifier,
    ...(o.publicOrigin ? { publicOrigin: o.publicOrigin } : {}),
  });
  const origin = o.publicOrigin?.replace(/\/+$/, '');
  const urlOf = (req: Request) =>
    `${origin ?? `${req.protocol}://${req.get('host')}`}${req.originalUrl}`;
  const base = list(o.scope);
  const rules = o.tools ?? {};
  const boundByDefault = verifier.options.requireBoundCalls ?? false;
  const closers: (() => Promise<void>)[] = [];

  /** The scopes a body needs: the server's, and those of every tool it calls (one challenge). */
  const scopesFor = (names: string[]) => [
    ...new Set([...base, ...names.flatMap((n) => list(rules[n]?.scope))]),
  ];

  const enforce = (p: BatonPrincipal, body: unknown) => {
    const { calls, other } = callsOfBody(body);
    // A bound token runs its one call and nothing else (not a list, not another call).
    if (p.toolCall && (other || calls.length !== 1))
      assertToolCall(p, { action: other ? '' : '(batch)' });
    for (const call of calls)
      assertToolCall(p, call, { requireBound: rules[call.action]?.requireBound ?? boundByDefault });
  };

  const gate = (): RequestHandler => (req, res, next) => {
    const names = callsOfBody(req.method === 'POST' ? req.body : undefined).calls.map(
      (c) => c.action,
    );
    verifier
      .verify(
        { method: req.method, url: urlOf(req), headers: req.headersDistinct },
        { scope: scopesFor(names) },
      )
      .then((p) => {
        if (req.method === 'POST') enforce(p, req.body);
        else if (p.toolCall) assertToolCall(p, { action: '' });
        req.baton = p;
        req.auth = authInfoOf(p);
        next();
      })
      .catch((e: unknown) => {
        const r = verifier.refusal(e);
        res.status(r.status).set(r.headers).json(r.body);
      });
  };

  const serve = (makeServer: () => ConnectableServer): RequestHandler => {
    const s = sessionHandler(verifier, makeServer, o);
    closers.push(() => s.close());
    return s.handler;
  };

  return {
    verifier,
    gate,
    metadata: () => http.metadata(),
    serve,
    router(path, makeServer) {
      const r = Router();
      r.use(http.metadata());
      r.all(path, express.json({ limit: MCP_DEFAULTS.bodyLimit }), gate(), serve(makeServer));
      return r;
    },
    async close() {
      await Promise.all(closers.map((c) => c()));
      if (own) await verifier.close();
    },
  };
}
