/**
 * CloudWatch metrics in the embedded metric format: one JSON line on stdout
 * per data point, which Lambda's log pipeline turns into metrics without an
 * API call. Locally the lines go to stdout with the logs.
 */

/** Namespace of every metric the layer emits. */
export const METRIC_NAMESPACE = 'CommLayer';

export type MetricName = 'PostsPublished' | 'ForumMessagesPosted' | 'DeltasSent' | 'AccessDecisions' | 'AccessProviderFailures';

export interface Metrics {
  /** Records a count; `dimensions` become EMF dimensions (keep them low-cardinality: no user or channel ids). */
  count(name: MetricName, value: number, dimensions?: Record<string, string>): void;
}

export function createMetrics(enabled = true, write: (line: string) => void = defaultWrite): Metrics {
  return {
    count(name, value, dimensions = {}) {
      if (!enabled) return;
      write(
        JSON.stringify({
          _aws: {
            Timestamp: Date.now(),
            CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [Object.keys(dimensions)], Metrics: [{ Name: name, Unit: 'Count' }] }],
          },
          ...dimensions,
          [name]: value,
        }),
      );
    },
  };
}

function defaultWrite(line: string): void {
  process.stdout.write(`${line}\n`);
}
