import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { onChange } from '../live.js';
import { age, time, visible } from '../text.js';
import type { TaskSummary } from '../types.js';

interface Filter {
  status: string;
  agent: string;
  user: string;
  q: string;
}

const query = (f: Filter, cursor?: string) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) p.set(k, v);
  if (cursor) p.set('cursor', cursor);
  return `/admin/tasks?${p}`;
};

/** Live tasks: filter, search, and a fresh list on every change the stream reports. */
export function Tasks() {
  const [filter, setFilter] = useState<Filter>({ status: 'open', agent: '', user: '', q: '' });
  const [tasks, setTasks] = useState<TaskSummary[]>();
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let stale = false;
    const load = () =>
      get<{ tasks: TaskSummary[]; next: string | null }>(query(filter)).then(
        (r) => {
          if (stale) return;
          setTasks(r.tasks);
          setNext(r.next);
          setError('');
        },
        (e: Error) => setError(e.message),
      );
    void load();
    const off = onChange((c) => c.kind !== 'approval' && void load());
    return () => {
      stale = true;
      off();
    };
  }, [filter]);
  const more = async () => {
    if (!next) return;
    const r = await get<{ tasks: TaskSummary[]; next: string | null }>(query(filter, next));
    setTasks([...(tasks ?? []), ...r.tasks]);
    setNext(r.next);
  };
  const field = (name: keyof Filter) => ({
    value: filter[name],
    onChange: (e: Event) => setFilter({ ...filter, [name]: (e.target as HTMLInputElement).value }),
  });
  return (
    <section aria-labelledby="tasks-title">
      <h1 id="tasks-title">Live tasks</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select {...field('status')}>
            <option value="">any</option>
            <option value="open">open</option>
            <option value="completed">completed</option>
            <option value="revoked">revoked</option>
          </select>
        </label>
        <label>
          Agent
          <input {...field('agent')} />
        </label>
        <label>
          User
          <input {...field('user')} />
        </label>
        <label>
          Search
          <input type="search" {...field('q')} placeholder="txn, purpose, user, agent" />
        </label>
      </form>
      {error ? (
        <p role="alert" class="error">
          {error}
        </p>
      ) : null}
      {!tasks ? (
        <p role="status">Loading…</p>
      ) : tasks.length === 0 ? (
        <p role="status">No tasks match.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Purpose</th>
              <th scope="col">User</th>
              <th scope="col">Owner</th>
              <th scope="col">Acting now</th>
              <th scope="col">Status</th>
              <th scope="col">Age</th>
              <th scope="col">Deadline</th>
              <th scope="col">Live tokens</th>
            </tr>
          </thead>
          <tbody>
            {tasks.map((t) => (
              <tr key={t.txn} data-txn={t.txn}>
                <td class="mono">
                  <a href={`#/task/${encodeURIComponent(t.txn)}`}>{visible(t.txn)}</a>
                </td>
                <td class="text" data-testid="purpose">
                  {t.purpose === undefined ? <em>none given</em> : visible(t.purpose)}
                </td>
                <td class="text">{visible(t.sub)}</td>
                <td>{visible(t.owner)}</td>
                <td>{visible(t.current_actor)}</td>
                <td>
                  <span class={`state ${t.status}`}>{t.status}</span>
                </td>
                <td>{age(t.age_seconds)}</td>
                <td>{time(t.deadline)}</td>
                <td>
                  {t.tokens_live} / {t.tokens_total}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next ? (
        <button type="button" onClick={more}>
          Load more
        </button>
      ) : null}
    </section>
  );
}
