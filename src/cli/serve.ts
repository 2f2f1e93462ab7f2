import { signaturesOffloaded } from '../keys/offload.js';
import { applyEnvOverrides, loadConfigFile, parseConfig, type Env } from '../config/load.js';
import { readEnv } from '../config/env.js';
import { bootBaton, type BatonInstance } from '../boot.js';
import { DEFAULTS } from '../config/defaults.js';

export interface Served {
  baton: BatonInstance;
  url: string;
  stop(): Promise<void>;
}

/** `baton serve`: the config file named by BATON_CONFIG, or the demo when there is none. */
export async function serve(
  env: Env = process.env,
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<Served> {
  const { configPath } = readEnv(env);
  if (configPath) {
    const baton = await bootBaton(loadConfigFile(configPath, env));
    const url = await baton.listen();
    baton.log.info(
      {
        url,
        issuer: baton.ctx.config.issuer,
        store: baton.ctx.config.store.kind,
        signaturesOnThreadPool: signaturesOffloaded(),
      },
      'baton listening',
    );
    return { baton, url, stop: () => baton.close() };
  }
  return serveDemo(env, out);
}

async function serveDemo(env: Env, out: (s: string) => void): Promise<Served> {
  const e = readEnv(env);
  const port = e.port ?? DEFAULTS.port;
  const issuer = e.issuer ?? `http://localhost:${port}`;
  const idpPort = e.demoIdpPort ?? port + 1;
  // oidc-provider is loaded only for the demo (it is not on the broker's request path).
  const { startDemoIdp } = await import('../demo/idp.js');
  const { demoConfig, demoBanner, DEMO } = await import('../demo/cast.js');
  const idp = await startDemoIdp({
    port: idpPort,
    host: e.demoIdpHost ?? DEFAULTS.demoIdpHost,
    audience: issuer,
    // The console's login comes back to this Baton, wherever PORT put it.
    consoleRedirectUri: `${issuer.replace(/\/$/, '')}/console/callback`,
  });
  const config = parseConfig(
    applyEnvOverrides(demoConfig(issuer, idp, port), { ...env, BATON_ISSUER: issuer }),
    'demo',
  );
  const baton = await bootBaton(config);
  const url = await baton.listen();
  baton.log.info({ url, issuer, store: config.store.kind, demo: true }, 'baton demo listening');
  out(demoBanner(issuer, idp.curlCommand(DEMO.user.username), config.store.kind, port));
  return {
    baton,
    url,
    stop: async () => {
      await baton.close();
      await idp.close();
    },
  };
}
