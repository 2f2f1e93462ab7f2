/**
 * ApprovalStore: a person's decision about one call (docs/approvals.md). An approval goes
 * pending -> approved | denied, and approved -> used once; it lapses at `expiresAt` and is kept
 * a while after, so a late poll still hears `expired_token`.
 */
import { randomBytes } from 'node:crypto';
import { epochSeconds } from '../../../src/clock.js';
import {
  APPROVAL_KEPT_AFTER_EXPIRY_SECONDS,
  type ApprovalRecord,
  type TokenStore,
} from '../../../src/store/store.js';
import { newTxn } from '../store-fixtures.js';
import type { GetStore } from './helpers.js';

/** A pending approval as the approval flow creates it: ten minutes to live unless overridden. */
function approvalFixture(overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  const txn = overrides.txn ?? newTxn();
  const now = epochSeconds();
  return {
    id: `${txn}.${randomBytes(12).toString('base64url')}`,
    txn,
    agent: 'agent-a',
    sub: 'alice@example.com',
    act: ['agent-a'],
    purpose: 'refund order 7',
    tool: 'billing',
    scope: 'billing:refund',
    authorization_details: [{ type: 'tool_call', arguments: { order: 7, amount: 12.5 } }],
    binding: randomBytes(16).toString('hex'),
    status: 'pending',
    createdAt: now,
    expiresAt: now + 600,
    ...overrides,
  };
}

/** Opens `rec` with bounds no case reaches (the bounds have their own contract cases). */
async function open(store: TokenStore, rec: ApprovalRecord): Promise<void> {
  const opened = await store.openApproval(rec, { perTask: 1_000, perAgent: 1_000 }, epochSeconds());
  if (opened.kind !== 'created') throw new Error(`approval not created: ${opened.kind}`);
}

/** Every pending approval, in the store's order (one page large enough for the cases). */
function pending(store: TokenStore, nowSec: number): Promise<ApprovalRecord[]> {
  return store.listApprovals(nowSec, undefined, 1_000).then((page) => page.approvals);
}

export function describeApprovalContract(getStore: GetStore): void {
  describe('approvals', () => {
    let store: TokenStore;
    beforeEach(() => {
      store = getStore();
    });

    it('getApproval returns an approval as created, and undefined for an unknown id', async () => {
      const rec = approvalFixture();
      await open(store, rec);
      await expect(store.getApproval(rec.id)).resolves.toEqual(rec);
      await expect(store.getApproval(`${newTxn()}.nope`)).resolves.toBeUndefined();
    });

    it('pollApproval returns the record with the previous poll time (0 the first time)', async () => {
      const rec = approvalFixture();
      await open(store, rec);
      await expect(store.pollApproval(rec.id, 1_000)).resolves.toEqual({
        record: rec,
        lastPollMs: 0,
      });
      await expect(store.pollApproval(rec.id, 6_000)).resolves.toEqual({
        record: rec,
        lastPollMs: 1_000,
      });
      await expect(store.pollApproval(rec.id, 7_000)).resolves.toMatchObject({
        lastPollMs: 6_000,
      });
      await expect(store.pollApproval(`${newTxn()}.nope`, 1_000)).resolves.toBeUndefined();
    });

    it.each(['approved', 'denied'] as const)(
      'decides a pending approval once (%s): who, when and why are kept; a second decision is refused',
      async (status) => {
        const rec = approvalFixture();
        await open(store, rec);
        const at = epochSeconds();
        await expect(
          store.decideApproval(rec.id, status, 'ops@example.com', 'ok', at),
        ).resolves.toBe(true);
        const decided = {
          ...rec,
          status,
          decidedBy: 'ops@example.com',
          decidedAt: at,
          reason: 'ok',
        };
        await expect(store.getApproval(rec.id)).resolves.toEqual(decided);
        const other = status === 'approved' ? 'denied' : 'approved';
        await expect(store.decideApproval(rec.id, other, 'eve', 'late', at + 1)).resolves.toBe(
          false,
        );
        await expect(store.getApproval(rec.id)).resolves.toEqual(decided);
      },
    );

    it('a decision without a reason records none; an unknown approval cannot be decided', async () => {
      const rec = approvalFixture();
      await open(store, rec);
      const at = epochSeconds();
      await expect(store.decideApproval(rec.id, 'denied', 'ops', undefined, at)).resolves.toBe(
        true,
      );
      const got = await store.getApproval(rec.id);
      expect(got).toEqual({ ...rec, status: 'denied', decidedBy: 'ops', decidedAt: at });
      expect(got).not.toHaveProperty('reason');
      await expect(
        store.decideApproval(`${newTxn()}.nope`, 'approved', 'ops', undefined, at),
      ).resolves.toBe(false);
    });

    it('consumeApproval uses an approved approval exactly once', async () => {
      const rec = approvalFixture();
      await open(store, rec);
      await store.decideApproval(rec.id, 'approved', 'ops', undefined, epochSeconds());
      await expect(store.consumeApproval(rec.id)).resolves.toBe(true);
      await expect(store.getApproval(rec.id)).resolves.toMatchObject({ status: 'used' });
      await expect(store.consumeApproval(rec.id)).resolves.toBe(false);
      await expect(store.getApproval(rec.id)).resolves.toMatchObject({ status: 'used' });
    });

    it('consumeApproval refuses a pending, a denied and an unknown approval', async () => {
      const pending = approvalFixture();
      const denied = approvalFixture();
      await open(store, pending);
      await open(store, denied);
      await store.decideApproval(denied.id, 'denied', 'ops', undefined, epochSeconds());
      await expect(store.consumeApproval(pending.id)).resolves.toBe(false);
      await expect(store.consumeApproval(denied.id)).resolves.toBe(false);
      await expect(store.consumeApproval(`${newTxn()}.nope`)).resolves.toBe(false);
      await expect(store.getApproval(pending.id)).resolves.toMatchObject({ status: 'pending' });
      await expect(store.getApproval(denied.id)).resolves.toMatchObject({ status: 'denied' });
    });

    it('listApprovals lists the pending approvals only, the first to lapse first', async () => {
      const now = epochSeconds();
      const newer = approvalFixture({ createdAt: now - 10, expiresAt: now + 590 });
      const older = approvalFixture({ createdAt: now - 20, expiresAt: now + 580 });
      const decided = approvalFixture({ createdAt: now - 30, expiresAt: now + 570 });
      for (const r of [newer, older, decided]) await open(store, r);
      await store.decideApproval(decided.id, 'approved', 'ops', undefined, now);
      await expect(pending(store, now)).resolves.toEqual([older, newer]);
    });

    it('a pending approval lapses at expiresAt: no longer listed, still readable for a late poll', async () => {
      const now = epochSeconds();
      const lapsing = approvalFixture({ createdAt: now - 60, expiresAt: now + 30 });
      const lasting = approvalFixture({ createdAt: now - 50, expiresAt: now + 600 });
      await open(store, lapsing);
      await open(store, lasting);
      await expect(pending(store, now)).resolves.toEqual([lapsing, lasting]);
      await expect(pending(store, now + 30)).resolves.toEqual([lasting]);
      await expect(store.getApproval(lapsing.id)).resolves.toEqual(lapsing);
      await expect(store.pollApproval(lapsing.id, Date.now())).resolves.toMatchObject({
        record: lapsing,
      });
    });

    it('an approval is forgotten once it is past expiresAt by the keep-after-expiry window', async () => {
      const now = epochSeconds();
      const gone = approvalFixture({
        createdAt: now - APPROVAL_KEPT_AFTER_EXPIRY_SECONDS - 700,
        expiresAt: now - APPROVAL_KEPT_AFTER_EXPIRY_SECONDS - 1,
      });
      await open(store, gone);
      await expect(store.getApproval(gone.id)).resolves.toBeUndefined();
      await expect(store.pollApproval(gone.id, Date.now())).resolves.toBeUndefined();
      await expect(pending(store, now)).resolves.toEqual([]);
    });
  });
}
