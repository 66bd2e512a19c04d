import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../../lambdas/metrics.js';

describe('createMetrics', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes one embedded-metric line per count', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse('2026-06-01T12:00:00.000Z'));
    const lines: string[] = [];
    const metrics = createMetrics(true, (line) => lines.push(line));

    metrics.count('AccessDecisions', 1, { Mode: 'ARCHIVE_UNTIL', Provider: 'builtin' });

    expect(lines.map((line) => JSON.parse(line))).toEqual([
      {
        _aws: {
          Timestamp: 1780315200000,
          CloudWatchMetrics: [{ Namespace: 'CommLayer', Dimensions: [['Mode', 'Provider']], Metrics: [{ Name: 'AccessDecisions', Unit: 'Count' }] }],
        },
        Mode: 'ARCHIVE_UNTIL',
        Provider: 'builtin',
        AccessDecisions: 1,
      },
    ]);
  });

  it('writes nothing when disabled', () => {
    const lines: string[] = [];
    const metrics = createMetrics(false, (line) => lines.push(line));

    metrics.count('PostsPublished', 1);

    expect(lines).toEqual([]);
  });
});
