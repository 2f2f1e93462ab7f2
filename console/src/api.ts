/** The admin API, same origin only; state-changing calls carry the session's CSRF token. */
export interface Session {
  admin: string;
  role: 'viewer' | 'approver' | 'admin';
  via: string;
  login?: string;
  csrf?: string;
}

let csrf = '';
export const setCsrf = (token: string | undefined) => {
  csrf = token ?? '';
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
  ) {
    super(description);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      ...(method === 'GET' ? {} : { 'content-type': 'application/json', 'x-csrf-token': csrf }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const data = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok)
    throw new ApiError(
      res.status,
      String(data.error ?? res.status),
      String(data.error_description ?? ''),
    );
  return data as T;
}

export const get = <T>(path: string) => call<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => call<T>('POST', path, body);

export const roleRank = { viewer: 0, approver: 1, admin: 2 } as const;
export const can = (s: Session | undefined, role: keyof typeof roleRank) =>
  s !== undefined && roleRank[s.role] >= roleRank[role];
