import { HttpMetrics } from './http-metrics';

describe('HttpMetrics', () => {
  it('counts answers by method, route and status, and their times in cumulative buckets whose bounds are inclusive', () => {
    const metrics = new HttpMetrics();
    metrics.observe('GET', '/v1/tickets/:id', 200, 5); // exactly the first bound: in it, as Prometheus' `le` says
    metrics.observe('GET', '/v1/tickets/:id', 200, 30);
    metrics.observe('GET', '/v1/tickets/:id', 404, 1);
    metrics.observe('POST', '/v1/tickets', 201, 12_000); // past the last bound: only in +Inf

    expect(metrics.requestCounts()).toEqual([
      { labels: { method: 'GET', route: '/v1/tickets/:id', status: '200' }, value: 2 },
      { labels: { method: 'GET', route: '/v1/tickets/:id', status: '404' }, value: 1 },
      { labels: { method: 'POST', route: '/v1/tickets', status: '201' }, value: 1 },
    ]);
    const buckets = Object.fromEntries(metrics.durations().filter((s) => s.suffix === '_bucket').map((s) => [s.labels!.le, s.value]));
    expect(buckets).toEqual({ '0.005': 2, '0.01': 2, '0.025': 2, '0.05': 3, '0.1': 3, '0.25': 3, '0.5': 3, '1': 3, '2.5': 3, '5': 3, '10': 3, '+Inf': 4 });
    const total = (suffix: string) => metrics.durations().find((s) => s.suffix === suffix)!.value;
    expect(total('_count')).toBe(4);
    expect(total('_sum')).toBeCloseTo(12.036, 6);
  });
});
