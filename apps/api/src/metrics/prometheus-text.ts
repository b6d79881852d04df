/** One sample of a metric: its labels (none for a plain value) and its value. */
export interface Sample {
  labels?: Record<string, string>;
  value: number;
  /** For a histogram's parts: the name's suffix (`_bucket`, `_sum`, `_count`). */
  suffix?: string;
}

/**
 * One metric in the Prometheus text format (version 0.0.4): its HELP and TYPE lines, then a line
 * per sample. Label values are escaped as the format asks (backslash, quote, line feed).
 */
export function metric(name: string, type: 'gauge' | 'counter' | 'histogram', help: string, samples: Sample[]): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const { labels, value, suffix = '' } of samples) {
    const pairs = Object.entries(labels ?? {}).map(([key, text]) => `${key}="${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
    lines.push(`${name}${suffix}${pairs.length ? `{${pairs.join(',')}}` : ''} ${value}`);
  }
  return lines.join('\n');
}
