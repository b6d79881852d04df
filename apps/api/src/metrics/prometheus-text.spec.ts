import { metric } from './prometheus-text';

describe('Prometheus text', () => {
  it('writes HELP and TYPE, then a line per sample, with label values escaped', () => {
    expect(
      metric('reclaim_example', 'gauge', 'An example.', [
        { value: 1 },
        { labels: { route: '/v1/tickets/:id', odd: 'a "quoted" \\ value\nnext' }, value: 2.5 },
        { suffix: '_sum', value: 0 },
      ]),
    ).toBe(
      [
        '# HELP reclaim_example An example.',
        '# TYPE reclaim_example gauge',
        'reclaim_example 1',
        'reclaim_example{route="/v1/tickets/:id",odd="a \\"quoted\\" \\\\ value\\nnext"} 2.5',
        'reclaim_example_sum 0',
      ].join('\n'),
    );
  });
});
