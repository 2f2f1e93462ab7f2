import { toolCallDetail } from '@baton/protocol';
import { untilApproved, type PendingApproval } from './approvals.js';
import {
  type BatonConnection,
  type ExchangeAnswer,
  TOKEN_TYPE_ACCESS,
  TOKEN_TYPE_HAND_OFF_OFFER,
  taskEndpoint,
  tokenExchange,
} from './baton-http.js';
import { peekClaims } from './claims.js';
import { BatonError } from './errors.js';
import { type TaskFetchInit, taskFetch } from './fetch.js';
import { type KnownResources, normalizeResource } from './resources.js';
import { type HeldToken, TokenCache } from './token-cache.js';

/** Options of `task.tokenFor`. */
export interface TokenForOptions {
  /** Scopes to ask for; none = everything the task may have at that tool. */
  scope?: string[];
  /** Bind the token to this one call (RFC 9396 `tool_call`, RFC 8785 form); never cached. */
  toolCall?: { action: string; arguments?: Record<string, unknown> };
  /** Called each time Baton says a person has not decided yet (then the SDK waits and asks again). */
  onPending?: (pending: PendingApproval) => void;
  /** Stops the wait for an approval (and the request in flight). */
  signal?: AbortSignal;
}

/** What `task.handOff` gives the next agent: pass it whole to `agent.acceptHandOff`. */
export interface HandOff {
  /** The hand-off offer (a DPoP-bound task) or the task token itself (an unbound one). */
  token: string;
  /** Its RFC 8693 token type, as `acceptHandOff` presents it. */
  tokenType: typeof TOKEN_TYPE_HAND_OFF_OFFER | typeof TOKEN_TYPE_ACCESS;
  /** The agent it is for. */
  to: string;
}

/** What `task.complete` reports (docs/endpoints.md, "POST /tasks/{txn}/complete"). */
export interface Completion {
  txn: string;
  status: string;
  outcome?: string;
  tokensEnded: number;
  alreadyEnded: boolean;
}

/** Settings a task takes from its agent. */
export interface TaskSettings {
  known: KnownResources;
  /** The tool's cap on `tool_call.arguments` (bytes of their RFC 8785 form); larger ones go by digest. */
  maxArgumentsBytes: number;
  onPending: ((p: PendingApproval) => void) | undefined;
}

/**
 * One task at Baton: its current task token, the tool tokens it holds, and every operation of
 * docs/tokens.md, "Who may do what", from the agent's side.
 */
export class Task {
  /** The task id (`txn`), shared by every token of the task. */
  readonly txn: string;
  #taskToken: string;
  readonly #c: BatonConnection;
  readonly #s: TaskSettings;
  readonly #cache = new TokenCache();

  /** @internal Made by `agent.startTask` and `agent.acceptHandOff`. */
  constructor(c: BatonConnection, settings: TaskSettings, taskToken: string) {
    const { txn } = peekClaims(taskToken);
    if (typeof txn !== 'string')
      throw new BatonError('invalid_response', 'Baton answered a task token without a txn');
    this.txn = txn;
    this.#taskToken = taskToken;
    this.#c = c;
    this.#s = settings;
  }

  /** The current task token (aud = Baton). Keep it out of logs and prompts. */
  get taskToken(): string {
    return this.#taskToken;
  }

  /** The epoch second the current task token expires (the task's deadline when it was issued). */
  get expiresAt(): number {
    return peekClaims(this.#taskToken).exp ?? 0;
  }

  /**
   * A tool token for `resource`: reused until shortly before it expires (one exchange for
   * concurrent asks); a token for one `toolCall` is fetched for that call alone. A call that
   * needs a person's approval waits for it (calling `onPending`) until granted, denied
   * (`access_denied`), lapsed (`expired_token`) or aborted.
   */
  async tokenFor(resource: string, o: TokenForOptions = {}): Promise<HeldToken> {
    normalizeResource(resource);
    const get = () => this.#exchangeForTool(resource, o);
    const held = o.toolCall
      ? await get()
      : await this.#cache.get(TokenCache.keyOf(resource, o.scope), get);
    this.#s.known.add(resource);
    return held;
  }

  /**
   * `fetch` with the task's token attached where it belongs: only to a known tool's resource,
   * never across origins (docs/connect-an-agent.md, "fetch").
   */
  fetch(url: string | URL, init?: TaskFetchInit): Promise<Response> {
    return taskFetch(
      {
        known: this.#s.known,
        http: this.#c.http,
        dpop: this.#c.dpop,
        tokenFor: (r, o) => this.tokenFor(r, o),
        forget: (r, scope) => this.#cache.drop(TokenCache.keyOf(r, scope)),
      },
      url,
      init,
    );
  }

  /**
   * Hands the task to agent `to` (one of this agent's `handOffTo`). A DPoP-bound task is offered
   * (docs/dpop.md, "Hand-off of a bound task": a single-use offer, 60 s, naming `to`); an unbound
   * one is passed as its task token. Give the result to the other agent's `acceptHandOff`.
   */
  async handOff(to: string): Promise<HandOff> {
    if (!this.#c.dpop) return { token: this.#taskToken, tokenType: TOKEN_TYPE_ACCESS, to };
    const offer = await tokenExchange(this.#c, {
      subject_token: this.#taskToken,
      subject_token_type: TOKEN_TYPE_ACCESS,
      audience: this.#c.as.issuer,
      hand_off_to: to,
    });
    return { token: offer.access_token, tokenType: TOKEN_TYPE_HAND_OFF_OFFER, to };
  }

  /**
   * Ends the task (its owner only): every token of it dies at Baton. Idempotent.
   * @param outcome `succeeded`, `failed` or `cancelled`
   * @param summary up to 2000 characters, kept in the audit trail
   */
  async complete(
    outcome: 'succeeded' | 'failed' | 'cancelled',
    summary?: string,
  ): Promise<Completion> {
    const r = await taskEndpoint(this.#c, `/tasks/${encodeURIComponent(this.txn)}/complete`, {
      outcome,
      ...(summary !== undefined ? { summary } : {}),
    });
    this.#cache.drop();
    return {
      txn: String(r.txn),
      status: String(r.status),
      ...(typeof r.outcome === 'string' ? { outcome: r.outcome } : {}),
      tokensEnded: Number(r.tokens_ended),
      alreadyEnded: r.already_ended === true,
    };
  }

  /** Revokes the current task token (RFC 7009) and so every token derived from it. */
  async revoke(): Promise<void> {
    await taskEndpoint(this.#c, '/revoke', { token: this.#taskToken });
    this.#cache.drop();
  }

  /**
   * Renews a long task with a fresh token of the same user (docs/endpoints.md,
   * "POST /tasks/{txn}/renew"): the task's deadline moves, never past `taskMaxSeconds` from its
   * start. Tool tokens already held keep their `exp`. Returns the new deadline (epoch seconds).
   */
  async renew(freshUserToken: string): Promise<number> {
    const r = await taskEndpoint(this.#c, `/tasks/${encodeURIComponent(this.txn)}/renew`, {
      task_token: this.#taskToken,
      user_token: freshUserToken,
    });
    if (typeof r.access_token !== 'string')
      throw new BatonError('invalid_response', 'Baton answered a renewal without a task token');
    this.#taskToken = r.access_token;
    return Number(r.deadline);
  }

  async #exchangeForTool(resource: string, o: TokenForOptions): Promise<HeldToken> {
    const details = o.toolCall
      ? [toolCallDetail(resource, o.toolCall, this.#s.maxArgumentsBytes)]
      : undefined;
    const params: Record<string, string> = {
      subject_token: this.#taskToken,
      subject_token_type: TOKEN_TYPE_ACCESS,
      resource,
      ...(o.scope ? { scope: o.scope.join(' ') } : {}),
      ...(details ? { authorization_details: JSON.stringify(details) } : {}),
    };
    const answer: ExchangeAnswer = await untilApproved(
      (approvalId) =>
        tokenExchange(
          this.#c,
          approvalId ? { ...params, approval_id: approvalId } : params,
          o.signal,
        ),
      {
        resource,
        ...(o.scope ? { scope: o.scope } : {}),
        ...(o.toolCall ? { toolCall: o.toolCall } : {}),
      },
      o.onPending ?? this.#s.onPending,
      o.signal,
    );
    return {
      token: answer.access_token,
      tokenType: answer.token_type === 'dpop' ? 'DPoP' : 'Bearer',
      exp: Math.floor(Date.now() / 1000) + answer.expires_in,
      scope: answer.scope ?? '',
      ...(answer.authorization_details
        ? { authorizationDetails: answer.authorization_details }
        : {}),
    };
  }
}
