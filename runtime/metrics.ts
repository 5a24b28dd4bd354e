import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app instance, so tests can build several apps in one process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'pakn_http_request_duration_seconds',
      help: 'HTTP request duration by route and status code',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    webhookEvents: new Counter({
      name: 'pakn_webhook_events_total',
      help: 'Zalo webhook deliveries by outcome (stored, duplicate, bad_signature, malformed, ping)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    jobsProcessed: new Counter({
      name: 'pakn_jobs_total',
      help: 'Jobs run by name and outcome',
      labelNames: ['name', 'outcome'] as const,
      registers: [registry],
    }),
    outboxPending: new Gauge({
      name: 'pakn_outbox_pending',
      help: 'Outbox rows waiting to be delivered',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
