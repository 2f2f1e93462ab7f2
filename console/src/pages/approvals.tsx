import { useEffect, useState } from 'preact/hooks';
import { can, get, post, type Session } from '../api.js';
import { onChange } from '../live.js';
import { json, time, visible } from '../text.js';
import type { Approval } from '../types.js';

type Detail = { type?: string; action?: unknown; arguments?: unknown; [k: string]: unknown };

/** Pending approvals: the exact bound call in full, who asks, for whom, why; decide with a reason. */
export function Approvals({ session }: { session: Session }) {
  const [list, setList] = useState<Approval[]>();
  const [status, setStatus] = useState('');
  const load = () =>
    get<{ approvals: Approval[] }>('/admin/approvals').then(
      (r) => setList(r.approvals),
      (e: Error) => setStatus(e.message),
    );
  useEffect(() => {
    void load();
    return onChange((c) => c.kind === 'approval' && void load());
  }, []);
  const decide = async (a: Approval, verdict: 'approve' | 'deny', reason: string) => {
    try {
      await post(
        `/admin/approvals/${encodeURIComponent(a.id)}/${verdict}`,
        reason ? { reason } : {},
      );
      setStatus(`${verdict === 'approve' ? 'Approved' : 'Denied'} ${a.id}`);
    } catch (e) {
      setStatus(`Could not ${verdict}: ${(e as Error).message}`);
    }
    void load();
  };
  return (
    <section aria-labelledby="approvals-title">
      <h1 id="approvals-title">Pending approvals</h1>
      <p role="status" aria-live="polite">
        {status}
      </p>
      {!list ? (
        <p role="status">Loading…</p>
      ) : list.length === 0 ? (
        <p>Nothing is waiting for a decision.</p>
      ) : (
        list.map((a) => (
          <ApprovalCard key={a.id} a={a} canDecide={can(session, 'approver')} decide={decide} />
        ))
      )}
    </section>
  );
}

function ApprovalCard(props: {
  a: Approval;
  canDecide: boolean;
  decide: (a: Approval, v: 'approve' | 'deny', reason: string) => Promise<void>;
}) {
  const { a } = props;
  const [reason, setReason] = useState('');
  const details = (a.authorization_details ?? []) as Detail[];
  const id = `reason-${a.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return (
    <article class="approval" data-approval={a.id} aria-label={`Approval ${a.id}`}>
      <dl class="facts">
        <dt>Tool</dt>
        <dd class="text">{visible(a.tool)}</dd>
        <dt>Scope</dt>
        <dd>{visible(a.scope)}</dd>
        <dt>Asked by</dt>
        <dd>{a.act.map(visible).join(' ← ')}</dd>
        <dt>For user</dt>
        <dd class="text">{visible(a.sub)}</dd>
        <dt>Why (task purpose)</dt>
        <dd class="text">{a.purpose === undefined ? <em>none given</em> : visible(a.purpose)}</dd>
        <dt>Task</dt>
        <dd class="mono">
          <a href={`#/task/${encodeURIComponent(a.txn)}`}>{visible(a.txn)}</a>
        </dd>
        <dt>Lapses</dt>
        <dd>{time(a.expiresAt)}</dd>
      </dl>
      {details.length === 0 ? (
        <p>No call details: the approval covers the tool and scope above.</p>
      ) : (
        details.map((d) => (
          <div class="call">
            <p>
              Action: <strong class="text">{visible(String(d.action ?? '(none)'))}</strong>
            </p>
            <p>Arguments, in full:</p>
            <pre class="text" data-testid="arguments">
              {json(d.arguments ?? null)}
            </pre>
          </div>
        ))
      )}
      <details>
        <summary>The whole bound request (authorization_details)</summary>
        <pre class="text">{json(a.authorization_details ?? [])}</pre>
      </details>
      {props.canDecide ? (
        <div class="decide">
          <label for={id}>Reason (optional, kept in the audit trail)</label>
          <textarea
            id={id}
            maxLength={500}
            value={reason}
            onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
          />
          <button
            type="button"
            class="primary"
            onClick={() => void props.decide(a, 'approve', reason)}
          >
            Approve
          </button>
          <button type="button" class="danger" onClick={() => void props.decide(a, 'deny', reason)}>
            Deny
          </button>
        </div>
      ) : (
        <p>You need the approver role to decide.</p>
      )}
    </article>
  );
}
