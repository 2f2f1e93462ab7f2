import { DEFAULTS } from '../config/defaults.js';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { BatonContext } from '../context.js';
import type { ApprovalRecord } from '../store/store.js';
import { epochSeconds } from '../clock.js';

/**
 * Tells a chat or ticket system that a call waits for a person. The body is a JWT signed with
 * Baton's token key (`typ: approval+jwt`, `aud` = the webhook URL), so the receiver verifies it
 * against Baton's JWKS with no shared secret. Fire and forget: a slow or failing webhook never
 * blocks or fails an exchange.
 */
export async function notifyWebhook(
  ctx: Pick<BatonContext, 'config' | 'keys' | 'log'>,
  approval: ApprovalRecord,
  timeoutMs: number = DEFAULTS.approvalWebhookTimeoutMs,
): Promise<void> {
  const hook = ctx.config.approvals.webhook;
  if (!hook) return;
  try {
    const key = ctx.keys.signingKey();
    const now = epochSeconds();
    const { binding: _binding, ...shown } = approval;
    const jwt = await new SignJWT({
      approval: shown,
      admin_url: `${ctx.config.issuer.replace(/\/$/, '')}/admin/approvals/${approval.id}`,
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'approval+jwt' })
      .setIssuer(ctx.config.issuer)
      .setAudience(hook.url)
      .setIssuedAt(now)
      .setExpirationTime(now + DEFAULTS.approvalWebhookJwtTtlSeconds)
      .setJti(randomUUID())
      .sign(key.privateKey);
    const res = await fetch(hook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/jwt' },
      body: jwt,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok)
      ctx.log.warn(
        { approval: approval.id, status: res.status },
        'approval webhook refused the notification',
      );
  } catch (e) {
    ctx.log.warn({ approval: approval.id, err: (e as Error).name }, 'approval webhook failed');
  }
}
