import type { BatonContext } from '../context.js';
import type { ApprovalStore, ReplayStore, TaskStore, TokenStateStore } from '../store/store.js';

/**
 * What the token exchange uses (fosite's shape: a handler holds only the storages it uses):
 * config and clients, keys and verifiers, marks, audit, policy, DPoP checks, and of the store the
 * task records, the liveness check of actor tokens, single-use ids and approvals.
 */
export type ExchangeDeps = Pick<
  BatonContext,
  | 'config'
  | 'clients'
  | 'tools'
  | 'keys'
  | 'own'
  | 'upstream'
  | 'marks'
  | 'audit'
  | 'policy'
  | 'log'
  | 'dpop'
  | 'newId'
> & {
  store: Pick<TaskStore, 'startTask' | 'recordToken' | 'renewTask' | 'getTask'> &
    Pick<TokenStateStore, 'checkToken'> &
    ReplayStore &
    ApprovalStore;
};
