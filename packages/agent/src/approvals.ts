import { BatonError } from './errors.js';

/** What `onPending` hears while a person has not yet decided (docs/approvals.md). */
export interface PendingApproval {
  approvalId: string;
  /** The tool the token is for. */
  resource: string;
  /** The scope asked for, if any. */
  scope?: string[];
  /** The call, when the token is for one `tool_call`. */
  toolCall?: { action: string; arguments?: Record<string, unknown> };
  /** Seconds until the approval lapses. */
  expiresIn: number;
  /** Seconds the SDK waits before asking again. */
  interval: number;
}

/** RFC 8628 §3.5: on `slow_down` the interval grows by 5 seconds. */
const SLOW_DOWN_STEP_SECONDS = 5;

function abortable(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const num = (v: unknown, fallback: number) =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback;

/**
 * Asks until Baton answers with a token: `authorization_pending` waits `interval` and asks again
 * with the `approval_id`, `slow_down` waits longer; `access_denied`, `expired_token` and anything
 * else end the wait with Baton's error; so does the approval's lapse and the `signal`.
 */
export async function untilApproved<T>(
  ask: (approvalId: string | undefined) => Promise<T>,
  pending: Omit<PendingApproval, 'approvalId' | 'expiresIn' | 'interval'>,
  onPending: ((p: PendingApproval) => void) | undefined,
  signal?: AbortSignal,
): Promise<T> {
  let approvalId: string | undefined;
  let interval = 5;
  let lapsesAt = Number.POSITIVE_INFINITY;
  for (;;) {
    try {
      return await ask(approvalId);
    } catch (e) {
      if (!(e instanceof BatonError)) throw e;
      if (e.code === 'authorization_pending') {
        const body = e.body ?? {};
        if (typeof body.approval_id === 'string') approvalId = body.approval_id;
        if (!approvalId) throw e;
        interval = num(body.interval, interval);
        if (typeof body.expires_in === 'number') lapsesAt = Date.now() + body.expires_in * 1000;
        onPending?.({
          ...pending,
          approvalId,
          interval,
          expiresIn: Math.max(0, Math.round((lapsesAt - Date.now()) / 1000)),
        });
      } else if (e.code === 'slow_down' && approvalId) {
        interval += SLOW_DOWN_STEP_SECONDS;
      } else throw e;
      if (Date.now() > lapsesAt)
        throw new BatonError('expired_token', `approval ${approvalId} lapsed before a decision`);
      await abortable(interval * 1000, signal);
    }
  }
}
