/**
 * The name of a single-use record (ReplayStore.useOnce), the same in every store. Namespaces
 * and ids hold caller text (`assert:<client id>` and an assertion's `jti`), and either may
 * contain `:` or any separator: joined plainly, client `a:b` with jti `c` and client `a` with
 * jti `b:c` would be one record, and one client's assertion would burn another's. The
 * namespace's length comes first, so the pair is read back one way only. A namespace's hash
 * tag (`dpop:{<jkt>}`) stays in the name, keeping a key's records on one Cluster slot.
 */
export const onceKey = (namespace: string, id: string): string =>
  `${namespace.length}:${namespace}:${id}`;
