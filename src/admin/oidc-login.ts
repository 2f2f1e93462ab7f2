/**
 * The console's login with the company IdP: OpenID Connect authorization code flow with PKCE
 * (RFC 7636, S256), `state` and `nonce`, through openid-client (discovery, ID token checks).
 * The role comes from a configured ID token claim; no role, no session.
 */
import * as oidc from 'openid-client';
import { AccessDenied, InvalidRequest } from '../errors.js';
import { type AdminRole, roleFromClaim } from './roles.js';

export interface OidcLoginConfig {
  issuer: string;
  clientId: string;
  clientSecret?: string | undefined;
  redirectUri: string;
  roleClaim: string;
  scopes: string[];
  allowInsecureRequests: boolean;
}

/** What the login round trip carries in its short-lived cookie (HttpOnly, single use). */
export interface LoginFlow {
  state: string;
  nonce: string;
  verifier: string;
}

export class OidcLogin {
  private discovered: Promise<oidc.Configuration> | undefined;

  constructor(private readonly cfg: OidcLoginConfig) {}

  /** Discovery once (again after a failure), so a down IdP at start does not stop Baton. */
  private configuration(): Promise<oidc.Configuration> {
    this.discovered ??= oidc
      .discovery(
        new URL(this.cfg.issuer),
        this.cfg.clientId,
        this.cfg.clientSecret,
        this.cfg.clientSecret ? undefined : oidc.None(),
        this.cfg.allowInsecureRequests ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((e) => {
        this.discovered = undefined;
        throw e;
      });
    return this.discovered;
  }

  /** Where to send the browser, and the flow to keep for the way back. */
  async start(): Promise<{ url: string; flow: LoginFlow }> {
    const config = await this.configuration();
    const flow: LoginFlow = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.cfg.redirectUri,
      scope: this.cfg.scopes.join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return { url: url.href, flow };
  }

  /** The IdP's answer at the redirect URI: the code exchanged, the ID token checked. */
  async finish(callbackUrl: URL, flow: LoginFlow): Promise<{ admin: string; role: AdminRole }> {
    const config = await this.configuration();
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (e) {
      throw new InvalidRequest('the login did not complete', { debug: (e as Error).message });
    }
    if (!claims) throw new InvalidRequest('the IdP sent no ID token');
    const role = roleFromClaim(claims[this.cfg.roleClaim]);
    if (!role)
      throw new AccessDenied(`your account has no console role (claim ${this.cfg.roleClaim})`, {
        status: 403,
      });
    const name = typeof claims.email === 'string' ? claims.email : claims.sub;
    return { admin: name, role };
  }
}
