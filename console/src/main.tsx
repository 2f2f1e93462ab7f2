import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, post, type Session, setCsrf } from './api.js';
import { onChange } from './live.js';
import { Approvals } from './pages/approvals.js';
import { Login } from './pages/login.js';
import { PolicyAndKeys } from './pages/policy.js';
import { Revoke } from './pages/revoke.js';
import { TaskPage } from './pages/task.js';
import { Tasks } from './pages/tasks.js';
import type { Overview } from './types.js';

const route = () => location.hash.replace(/^#\/?/, '') || 'tasks';

function Header({ session }: { session: Session }) {
  const [o, setO] = useState<Overview>();
  useEffect(() => {
    const load = () => void get<Overview>('/admin/overview').then(setO, () => {});
    load();
    const t = setInterval(load, 5000);
    const off = onChange(load);
    return () => {
      clearInterval(t);
      off();
    };
  }, []);
  const logout = async () => {
    await post('/console/logout');
    location.assign('/console/');
  };
  return (
    <header>
      <div class="brand">Baton console</div>
      <dl class="counts" aria-label="Live counts">
        <div>
          <dt>Live tasks</dt>
          <dd data-testid="count-tasks">{o?.tasks_live ?? '…'}</dd>
        </div>
        <div>
          <dt>Tokens / min</dt>
          <dd>{o?.tokens_issued_per_minute ?? '…'}</dd>
        </div>
        <div>
          <dt>Refusals / min</dt>
          <dd>{o?.refusals_per_minute ?? '…'}</dd>
        </div>
        <div>
          <dt>Pending approvals</dt>
          <dd>{o ? `${o.pending_approvals}${o.pending_approvals_more ? '+' : ''}` : '…'}</dd>
        </div>
      </dl>
      <div class="who">
        <span data-testid="who">
          {session.admin} ({session.role})
        </span>
        {session.csrf ? (
          <button type="button" onClick={logout}>
            Sign out
          </button>
        ) : null}
      </div>
    </header>
  );
}

const PAGES: [string, string][] = [
  ['tasks', 'Live tasks'],
  ['approvals', 'Approvals'],
  ['revoke', 'Revoke'],
  ['policy', 'Policy and keys'],
];

function App() {
  const [session, setSession] = useState<Session | null>();
  const [path, setPath] = useState(route());
  useEffect(() => {
    const on = () => setPath(route());
    addEventListener('hashchange', on);
    get<Session>('/admin/session').then(
      (s) => {
        setCsrf(s.csrf);
        setSession(s);
      },
      (e) => setSession(e instanceof ApiError && e.status === 401 ? null : null),
    );
    return () => removeEventListener('hashchange', on);
  }, []);
  if (session === undefined) return <p role="status">Loading…</p>;
  if (session === null) return <Login />;
  const [page, arg] = path.split('/');
  return (
    <>
      <Header session={session} />
      <nav aria-label="Console pages">
        {PAGES.map(([p, label]) => (
          <a href={`#/${p}`} aria-current={page === p ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      <main>
        {page === 'task' && arg ? (
          <TaskPage txn={decodeURIComponent(arg)} session={session} />
        ) : page === 'approvals' ? (
          <Approvals session={session} />
        ) : page === 'revoke' ? (
          <Revoke session={session} />
        ) : page === 'policy' ? (
          <PolicyAndKeys />
        ) : (
          <Tasks />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
