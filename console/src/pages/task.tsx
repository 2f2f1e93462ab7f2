import { useEffect, useState } from 'preact/hooks';
import { can, get, post, type Session } from '../api.js';
import { onChange } from '../live.js';
import { json, time, visible } from '../text.js';
import type { AuditEvent, TaskTree, TreeNode } from '../types.js';
import { Confirm } from './confirm.js';
import { DelegationGraph } from './graph.js';

const flat = (ns: TreeNode[]): TreeNode[] => ns.flatMap((n) => [n, ...flat(n.children)]);

type Pending = { title: string; lines: string[]; action: string; run: () => Promise<unknown> };

/** One task: its delegation tree as a graph, its tokens, its audit story; revoke from here. */
export function TaskPage({ txn, session }: { txn: string; session: Session }) {
  const [tree, setTree] = useState<TaskTree | null>();
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [confirm, setConfirm] = useState<Pending>();
  const [status, setStatus] = useState('');
  const load = () => {
    get<TaskTree>(`/admin/tasks/${encodeURIComponent(txn)}`).then(setTree, () => setTree(null));
    get<{ events: AuditEvent[] }>(`/admin/tasks/${encodeURIComponent(txn)}/events`).then(
      (r) => setEvents(r.events),
      () => {},
    );
  };
  useEffect(() => {
    load();
    return onChange((c) => (!c.txn || c.txn === txn) && load());
  }, [txn]);
  if (tree === undefined) return <p role="status">Loading…</p>;
  if (tree === null) return <p role="alert">No such task (unknown, or past its deadline).</p>;
  const tokens = flat(tree.tokens);
  const live = tokens.filter((t) => t.state === 'active');
  const run = async (p: Pending) => {
    setConfirm(undefined);
    try {
      await p.run();
      setStatus(`${p.action}: done`);
    } catch (e) {
      setStatus(`${p.action} failed: ${(e as Error).message}`);
    }
    load();
  };
  const revokeTask = () =>
    setConfirm({
      title: 'Revoke this task?',
      lines: [
        `Task ${visible(txn)} of ${visible(tree.task.sub)} ends now.`,
        `${live.length} live token(s) of ${tokens.length} die at once, on every instance.`,
      ],
      action: 'Revoke task',
      run: () => post(`/admin/tasks/${encodeURIComponent(txn)}/revoke`),
    });
  const revokeToken = (n: TreeNode) => {
    const below = flat([n]);
    setConfirm({
      title: 'Revoke this token?',
      lines: [
        `Token ${n.jti} held by ${visible(n.client_id)} (${visible(n.aud)}) dies,`,
        `with everything derived from it: ${below.filter((t) => t.state === 'active').length} live token(s) in all.`,
      ],
      action: 'Revoke token',
      run: () =>
        post(`/admin/tasks/${encodeURIComponent(txn)}/tokens/${encodeURIComponent(n.jti)}/revoke`),
    });
  };
  return (
    <section aria-labelledby="task-title">
      <h1 id="task-title">
        Task <span class="mono">{visible(txn)}</span>
      </h1>
      <dl class="facts">
        <dt>Purpose</dt>
        <dd class="text" data-testid="task-purpose">
          {tree.task.purpose === undefined ? <em>none given</em> : visible(tree.task.purpose)}
        </dd>
        <dt>User</dt>
        <dd class="text">{visible(tree.task.sub)}</dd>
        <dt>Owner</dt>
        <dd>{visible(tree.task.owner)}</dd>
        <dt>Status</dt>
        <dd data-testid="task-status">{tree.task.status}</dd>
        <dt>Deadline</dt>
        <dd>{time(tree.task.deadline)}</dd>
      </dl>
      {can(session, 'admin') && tree.task.status === 'open' ? (
        <button type="button" class="danger" onClick={revokeTask}>
          Revoke task ({live.length} live tokens)
        </button>
      ) : null}
      <p role="status" aria-live="polite">
        {status}
      </p>
      <h2>Delegation tree</h2>
      <p class="legend">
        <span class="state active">active</span> <span class="state expired">expired</span>{' '}
        <span class="state revoked">revoked</span> <span class="state task_ended">task ended</span>
      </p>
      <div class="graph-wrap">
        <DelegationGraph sub={tree.task.sub} roots={tree.tokens} />
      </div>
      <h2>Tokens</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Token (jti)</th>
            <th scope="col">Actors (acting first)</th>
            <th scope="col">Audience</th>
            <th scope="col">Scope</th>
            <th scope="col">Expires</th>
            <th scope="col">State</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((n) => (
            <tr key={n.jti} data-jti={n.jti}>
              <td class="mono">{n.jti}</td>
              <td>{n.act.map(visible).join(' ← ')}</td>
              <td class="text">{visible(n.aud)}</td>
              <td>{visible(n.scope)}</td>
              <td>{time(n.exp)}</td>
              <td>
                <span class={`state ${n.state}`} data-testid="token-state">
                  {n.state}
                </span>
              </td>
              <td>
                {can(session, 'admin') && n.state === 'active' ? (
                  <button type="button" onClick={() => revokeToken(n)}>
                    Revoke
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Audit timeline</h2>
      <ol class="timeline">
        {events.map((e) => (
          <li key={e.id} class={`event ${e.decision}`}>
            <div>
              <time>{new Date(e.time).toLocaleTimeString()}</time> <strong>{e.type}</strong>{' '}
              <span class={`decision ${e.decision}`}>{e.decision}</span>
              {e.act ? <> by {e.act.map(visible).join(' ← ')}</> : null}
              {e.admin ? (
                <>
                  {' '}
                  (admin {visible(e.admin.name)}, {e.admin.role})
                </>
              ) : null}
            </div>
            {e.rule ? <div>rule: {visible(e.rule)}</div> : null}
            {e.error ? (
              <div class="text">
                {visible(e.error)}: {visible(e.reason ?? '')}
              </div>
            ) : null}
            {e.detail ? <pre class="text">{json(e.detail)}</pre> : null}
          </li>
        ))}
      </ol>
      {confirm ? (
        <Confirm
          title={confirm.title}
          lines={confirm.lines}
          action={confirm.action}
          onConfirm={() => void run(confirm)}
          onCancel={() => setConfirm(undefined)}
        />
      ) : null}
    </section>
  );
}
