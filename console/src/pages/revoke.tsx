import { useEffect, useState } from 'preact/hooks';
import { can, get, post, type Session } from '../api.js';
import { visible } from '../text.js';
import type { TaskSummary } from '../types.js';
import { Confirm } from './confirm.js';

type Kind = 'token' | 'task' | 'agent' | 'user' | 'all';
interface Agent {
  id: string;
  tasks_owned: number;
  tasks_live: number;
  revoked_before: number | null;
}

/** Live tokens of the open tasks a filter selects (the first 500 tasks; "at least" past that). */
async function liveTokens(q: string): Promise<{ tasks: number; tokens: number; more: boolean }> {
  const r = await get<{ tasks: TaskSummary[]; next: string | null }>(
    `/admin/tasks?status=open&limit=500${q ? `&${q}` : ''}`,
  );
  return {
    tasks: r.tasks.length,
    tokens: r.tasks.reduce((n, t) => n + t.tokens_live, 0),
    more: r.next !== null,
  };
}

const count = (c: { tasks: number; tokens: number; more: boolean }) =>
  `${c.more ? 'at least ' : ''}${c.tokens} live token(s) in ${c.tasks} open task(s) die at once, on every instance.`;

/** Revoke a token, a task, an agent, a user or everything, each after a confirmation. */
export function Revoke({ session }: { session: Session }) {
  const [agents, setAgents] = useState<Agent[]>([]);
  const [values, setValues] = useState({ token: '', task: '', agent: '', user: '' });
  const [confirm, setConfirm] = useState<{ kind: Kind; lines: string[] }>();
  const [status, setStatus] = useState('');
  useEffect(() => {
    get<{ agents: Agent[] }>('/admin/agents').then(
      (r) => setAgents(r.agents),
      () => {},
    );
  }, []);
  if (!can(session, 'admin'))
    return <p role="alert">Revocations need the admin role (you are {session.role}).</p>;
  const ask = async (kind: Kind) => {
    const v = values[kind as keyof typeof values] ?? '';
    if (kind !== 'all' && !v.trim()) return setStatus(`Give the ${kind} to revoke first.`);
    let lines: string[];
    if (kind === 'token')
      lines = ['The token you pasted and every token derived from it die at once.'];
    else if (kind === 'task') {
      const t = await get<{ tokens: unknown }>(`/admin/tasks/${encodeURIComponent(v)}`).catch(
        () => undefined,
      );
      lines = t
        ? [`Task ${visible(v)} ends now.`, count(await liveTokens(`q=${encodeURIComponent(v)}`))]
        : [`Task ${visible(v)} is unknown or past its deadline: nothing will die.`];
    } else if (kind === 'agent')
      lines = [
        `Every token agent ${visible(v)} holds now dies; it can start new tasks afterwards.`,
        count(await liveTokens(`agent=${encodeURIComponent(v)}`)),
      ];
    else if (kind === 'user')
      lines = [
        `Every token acting for user ${visible(v)} dies.`,
        count(await liveTokens(`user=${encodeURIComponent(v)}`)),
      ];
    else
      lines = [
        'Kill switch: EVERY token Baton issued before now dies.',
        count(await liveTokens('')),
      ];
    setConfirm({ kind, lines });
  };
  const run = async (kind: Kind) => {
    setConfirm(undefined);
    const v = values[kind as keyof typeof values] ?? '';
    const path =
      kind === 'token'
        ? '/admin/tokens/revoke'
        : kind === 'task'
          ? `/admin/tasks/${encodeURIComponent(v)}/revoke`
          : kind === 'agent'
            ? `/admin/agents/${encodeURIComponent(v)}/revoke`
            : kind === 'user'
              ? `/admin/users/${encodeURIComponent(v)}/revoke`
              : '/admin/revoke-all';
    try {
      await post(path, kind === 'token' ? { token: v } : {});
      setStatus(`Revoked (${kind}).`);
    } catch (e) {
      setStatus(`Revocation failed: ${(e as Error).message}`);
    }
  };
  const input = (kind: keyof typeof values, label: string, props: Record<string, unknown> = {}) => (
    <div class="revoke-row">
      <label for={`revoke-${kind}`}>{label}</label>
      <input
        id={`revoke-${kind}`}
        value={values[kind]}
        onInput={(e) => setValues({ ...values, [kind]: (e.target as HTMLInputElement).value })}
        {...props}
      />
      <button type="button" class="danger" onClick={() => void ask(kind)}>
        Revoke {kind}
      </button>
    </div>
  );
  return (
    <section aria-labelledby="revoke-title">
      <h1 id="revoke-title">Revoke</h1>
      <p role="status" aria-live="polite">
        {status}
      </p>
      {input('token', 'A token (paste it)', { autocomplete: 'off' })}
      {input('task', 'A task (txn)')}
      {input('agent', 'An agent (client id)', { list: 'agent-ids' })}
      <datalist id="agent-ids">
        {agents.map((a) => (
          <option value={a.id}>{`${a.tasks_live} live task(s)`}</option>
        ))}
      </datalist>
      {input('user', 'A user (sub)')}
      <div class="revoke-row">
        <span>Everything (kill switch)</span>
        <button type="button" class="danger" onClick={() => void ask('all')}>
          Revoke everything
        </button>
      </div>
      <h2>Agents</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Open tasks owned</th>
            <th scope="col">Open tasks holding a live token</th>
            <th scope="col">Revoked before</th>
          </tr>
        </thead>
        <tbody>
          {agents.map((a) => (
            <tr>
              <td>{visible(a.id)}</td>
              <td>{a.tasks_owned}</td>
              <td>{a.tasks_live}</td>
              <td>{a.revoked_before ? new Date(a.revoked_before / 1000).toLocaleString() : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {confirm ? (
        <Confirm
          title={`Revoke ${confirm.kind === 'all' ? 'everything' : `this ${confirm.kind}`}?`}
          lines={confirm.lines}
          action={`Revoke ${confirm.kind === 'all' ? 'everything' : confirm.kind}`}
          onConfirm={() => void run(confirm.kind)}
          onCancel={() => setConfirm(undefined)}
        />
      ) : null}
    </section>
  );
}
