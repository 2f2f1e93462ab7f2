import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BatonContext } from '../context.js';

/**
 * Prometheus metrics at GET /metrics. Labels are bounded sets (route, status, operation): never
 * a client id, txn or anything a caller controls, so the series count cannot be blown up.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'baton_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'baton_http_request_duration_seconds',
    help: 'Lean-lane request duration',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly issued = new Counter({
    name: 'baton_tokens_issued_total',
    help: 'Tokens issued by operation',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  /** Requests refused by a rate limit (src/limits/): bounded labels, never a client id. */
  readonly rateLimited = new Counter({
    name: 'baton_rate_limited_total',
    help: 'Requests refused by a rate limit, by route, client kind and limit',
    labelNames: ['route', 'kind', 'limit'] as const,
    registers: [this.registry],
  });

  constructor(ctx: BatonContext) {
    collectDefaultMetrics({ register: this.registry, prefix: 'baton_' });
    new Gauge({
      name: 'baton_revocation_marks_fresh',
      help: '1 when cross-task revocation marks are current (else Baton fails closed)',
      registers: [this.registry],
      collect() {
        this.set(ctx.marks.isFresh() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'baton_revocation_marks_held',
      help: 'Cross-task revocation marks held in process (bounded by one task lifetime)',
      registers: [this.registry],
      collect() {
        this.set(ctx.marks.size);
      },
    });
    new Gauge({
      name: 'baton_feed_followers',
      help: 'Revocation feed followers connected to this instance',
      registers: [this.registry],
      collect() {
        this.set(ctx.feed.followers.count);
      },
    });
    new Gauge({
      name: 'baton_feed_buffered_bytes',
      help: 'Bytes queued for revocation feed followers (each is dropped past its bound)',
      registers: [this.registry],
      collect() {
        this.set(ctx.feed.followers.bufferedBytes());
      },
    });
    new Counter({
      name: 'baton_feed_followers_dropped_total',
      help: 'Revocation feed followers this instance dropped: past the lag bound, or past the byte bound',
      labelNames: ['reason'],
      registers: [this.registry],
      collect() {
        // The counts live with the followers; the counter mirrors them at each scrape.
        const { drops } = ctx.feed.followers;
        this.reset();
        for (const reason of ['lag', 'bytes'] as const) this.inc({ reason }, drops[reason]);
      },
    });
    new Gauge({
      name: 'baton_audit_events_dropped',
      help: 'Audit events dropped because the store stayed unreachable',
      registers: [this.registry],
      collect() {
        this.set(ctx.audit.dropped);
      },
    });
  }
}
