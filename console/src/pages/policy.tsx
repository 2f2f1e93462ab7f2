import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { time, visible } from '../text.js';

interface Policy {
  cedar: { version: string; policies: string[]; reads_time: boolean } | null;
}
interface PolicyStatus {
  version: string | null;
  last_reload_error: { at: number; problems: string[] } | null;
}
interface Key {
  kid: string;
  alg: string;
  created_at: number;
  activate_at: number;
  stage: string;
}

/** The Cedar policy in force (and the last refused reload), and the keys with their stage. */
export function PolicyAndKeys() {
  const [p, setP] = useState<Policy>();
  const [s, setS] = useState<PolicyStatus>();
  const [keys, setKeys] = useState<Key[]>([]);
  useEffect(() => {
    get<Policy>('/admin/policy').then(setP, () => {});
    get<PolicyStatus>('/admin/policy/status').then(setS, () => {});
    get<{ keys: Key[] }>('/admin/keys').then(
      (r) => setKeys(r.keys),
      () => {},
    );
  }, []);
  return (
    <section aria-labelledby="policy-title">
      <h1 id="policy-title">Policy</h1>
      {!p ? (
        <p role="status">Loading…</p>
      ) : !p.cedar ? (
        <p>No Cedar policy set: the configuration's ceilings decide alone.</p>
      ) : (
        <>
          <p>
            Version <span class="mono">{p.cedar.version}</span>, {p.cedar.policies.length} policies
          </p>
          <ul>
            {p.cedar.policies.map((id) => (
              <li class="mono">{visible(id)}</li>
            ))}
          </ul>
        </>
      )}
      <h2>Last reload</h2>
      {s?.last_reload_error ? (
        <div role="alert" class="error">
          <p>
            Refused at {new Date(s.last_reload_error.at).toLocaleString()}; the version above stays
            in force:
          </p>
          <pre class="text">{s.last_reload_error.problems.map(visible).join('\n')}</pre>
        </div>
      ) : (
        <p>No reload was refused.</p>
      )}
      <h2>Signing keys</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Key id</th>
            <th scope="col">Algorithm</th>
            <th scope="col">Stage</th>
            <th scope="col">Created</th>
            <th scope="col">Signs from</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr>
              <td class="mono">{k.kid}</td>
              <td>{k.alg}</td>
              <td>
                <span class={`stage ${k.stage}`}>{k.stage}</span>
              </td>
              <td>{time(k.created_at)}</td>
              <td>{time(k.activate_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
