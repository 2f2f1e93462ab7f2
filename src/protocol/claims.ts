/**
 * The claims of Baton's tokens (RFC 9068 JWT access tokens, RFC 8693 `act`, Baton's `txn` and
 * `lineage`), shared by the server and the SDK. This module has no dependencies.
 */

/** RFC 8693 §4.1: the newest actor is the outermost `act`; inner levels are history. */
export interface Actor {
  sub: string;
  act?: Actor;
}

/**
 * Private claim for resource servers that check tokens locally: the ids of this token's
 * ancestors in the task (parent first) and, per `act` level (outermost first), the store stamp
 * at which that actor entered the chain. With these a feed event "agent X, before stamp S" or
 * "token J" can be applied without asking Baton.
 */
export interface Lineage {
  anc: string[];
  st: number[];
}

/** The claims of every Baton token (RFC 9068 + RFC 8693 + `txn`). */
export interface BatonClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  client_id: string;
  scope: string;
  txn: string;
  act: Actor;
  lineage: Lineage;
  cnf?: { jkt: string };
  authorization_details?: unknown[];
  /** Task tokens only (aud = Baton): what policy may read about the task on later exchanges. */
  task?: TaskContext;
}

/**
 * The task's context, carried by task tokens so that a policy decision on a later exchange needs
 * no store read: the stated purpose and the user claims policies may use. Tool tokens do not
 * carry it (tools see only what they need); it is kept in their store record instead.
 */
export interface TaskContext {
  purpose?: string;
  user: UserClaims;
}

export interface UserClaims {
  iss: string;
  tenant?: string;
  email?: string;
  groups?: string[];
  roles?: string[];
}
