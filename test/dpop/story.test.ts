/**
 * The whole story with DPoP on (`dpop.agents: required`, the tickets tool `dpopRequired`), over real
 * HTTP with the real oidc-provider IdP and standalone Redis: alice's token -> a task bound to
 * support-agent's key -> a bound tool token (introspected as DPoP) -> the task offered to
 * billing-agent and taken with its key -> its bound tool token -> completion with the owner's proof
 * -> every token dead; a thief with copies and no keys gets nothing at any step.
 */
import { parseConfig } from '../../src/config/load.js';
import { type DemoIdp, startDemoIdp } from '../../src/demo/idp.js';
import {
  BILLING,
  basic,
  claimsOf,
  introspectAs,
  ISSUER,
  type RunningBaton,
  SECRETS,
  startBaton,
  TICKETS,
} from '../support/fixtures.js';
import { type DpopKey, dpopExchange, dpopKey } from '../support/dpop.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';
import { aliceToken, deleteRedisKeysUnder, idpConfig, postComplete } from '../support/story.js';

const HTU = `${ISSUER}/token`;
const OFFER = 'urn:baton:params:oauth:token-type:hand-off-offer';
const redisUrl = testRedisUrl();
const prefix = uniquePrefix();
let idp: DemoIdp;
let b: RunningBaton;
let url: string;
let support: DpopKey;
let billing: DpopKey;

beforeAll(async () => {
  idp = await startDemoIdp({ audience: ISSUER });
  const base = idpConfig(idp, { store: { kind: 'redis', url: redisUrl, prefix } });
  const raw = structuredClone(base) as unknown as Record<string, unknown>;
  raw.dpop = { agents: 'required' };
  (raw.tools as Record<string, unknown>[])[0]!.dpopRequired = true;
  b = await startBaton(parseConfig(raw, 'dpop story'));
  url = b.url;
  [support, billing] = await Promise.all([dpopKey(), dpopKey()]);
});
afterAll(async () => {
  await b?.close();
  await idp?.close();
  await deleteRedisKeysUnder(redisUrl, prefix);
});

it('the demo story runs end to end with every token bound, and copies without keys are worthless', async () => {
  const user = await aliceToken(idp);
  // An agent without a proof is refused outright (dpop.agents: required).
  expect(
    (await dpopExchange(url, 'support-agent', { subject_token: user, audience: ISSUER })).body
      .error,
  ).toBe('invalid_dpop_proof');

  const task = await dpopExchange(
    url,
    'support-agent',
    { subject_token: user, audience: ISSUER, purpose: 'Refund the duplicate charge' },
    await support.proof('POST', HTU),
  );
  expect(task.body.token_type).toBe('DPoP');
  const taskToken = task.body.access_token as string;
  expect(claimsOf(taskToken).cnf).toEqual({ jkt: support.jkt });

  const tool = await dpopExchange(
    url,
    'support-agent',
    { subject_token: taskToken, resource: TICKETS, scope: 'tickets:read' },
    await support.proof('POST', HTU),
  );
  const toolToken = tool.body.access_token as string;
  expect(await introspectAs(url, 'tickets-rs', toolToken)).toMatchObject({
    active: true,
    token_type: 'DPoP',
    cnf: { jkt: support.jkt },
  });

  // Theft: billing-agent holds a copy of the task token but not support-agent's key.
  const stolen = await dpopExchange(
    url,
    'billing-agent',
    { subject_token: taskToken, audience: ISSUER },
    await billing.proof('POST', HTU),
  );
  expect(stolen.body.error).toBe('invalid_request');

  // The hand-off: support-agent offers, billing-agent takes it with its own key.
  const offer = await dpopExchange(
    url,
    'support-agent',
    { subject_token: taskToken, audience: ISSUER, hand_off_to: 'billing-agent' },
    await support.proof('POST', HTU),
  );
  expect(offer.body.issued_token_type).toBe(OFFER);
  const taken = await dpopExchange(
    url,
    'billing-agent',
    {
      subject_token: offer.body.access_token as string,
      subject_token_type: OFFER,
      audience: ISSUER,
    },
    await billing.proof('POST', HTU),
  );
  const delegated = taken.body.access_token as string;
  expect(claimsOf(delegated)).toMatchObject({
    cnf: { jkt: billing.jkt },
    act: { sub: 'billing-agent', act: { sub: 'support-agent' } },
  });
  const billingTool = await dpopExchange(
    url,
    'billing-agent',
    { subject_token: delegated, resource: BILLING },
    await billing.proof('POST', HTU),
  );
  expect(
    await introspectAs(url, 'billing-rs', billingTool.body.access_token as string),
  ).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: billing.jkt } });

  // Completion by the owner, with the key it started the task with.
  const txn = claimsOf(taskToken).txn;
  const auth = { authorization: basic('support-agent', SECRETS['support-agent']) };
  expect((await postComplete(url, txn, { outcome: 'succeeded' }, auth)).body.error).toBe(
    'invalid_request',
  );
  const done = await postComplete(
    url,
    txn,
    { outcome: 'succeeded' },
    {
      ...auth,
      dpop: await support.proof('POST', `${ISSUER}/tasks/${encodeURIComponent(txn)}/complete`),
    },
  );
  expect(done.status).toBe(200);
  expect((await introspectAs(url, 'tickets-rs', toolToken)).active).toBe(false);
  expect(
    (await introspectAs(url, 'billing-rs', billingTool.body.access_token as string)).active,
  ).toBe(false);
});
