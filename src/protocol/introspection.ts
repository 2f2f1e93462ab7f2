import type { Actor } from './claims.js';

/**
 * RFC 7662 §2.2 as Baton answers `POST /introspect` (docs/endpoints.md): the server builds it
 * (src/introspection/), the resource-server middleware's introspection mode reads it.
 */
export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      sub: string;
      aud: string;
      iss: string;
      exp: number;
      iat: number;
      nbf: number;
      jti: string;
      /** RFC 9449 §6.2: `DPoP` for a bound token, whose `cnf.jkt` the resource server checks. */
      token_type: 'Bearer' | 'DPoP';
      cnf?: { jkt: string };
      txn: string;
      act: Actor;
      authorization_details?: unknown[];
    };
