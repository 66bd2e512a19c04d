/** Plain-text and Markdown reports of a soak run. */
import { count, ms, table } from '../bench/markdown.js';
import type { MachineDescription } from '../bench/report.js';
import { OPERATIONS } from './soak-client.js';
import type { SoakResult } from './soak.js';

export interface SoakReportContext {
  readonly startedAt: Date;
  readonly command: string;
  readonly machine: MachineDescription;
  /** One-minute load average when the run ended. */
  readonly endLoadAverage: number;
}

function latencyRows(result: SoakResult): string[][] {
  return OPERATIONS.flatMap((operation) => {
    const latency = result.figures.latency[operation];
    return latency ? [[operation, count(latency.count), ms(latency.p50Ms), ms(latency.p99Ms)]] : [];
  });
}

/** Formats the summary the CLI prints: figures, latencies, statuses and the listed violations. */
export function formatSoakSummary(result: SoakResult): string {
  const figures = result.figures;
  const lines = [
    `Soak ${result.passed ? 'passed' : 'FAILED'}: ${figures.publishes} publishes in ${figures.loadSeconds.toFixed(1)} s (${figures.publishesPerSecond.toFixed(1)}/s), ` +
      `${figures.reads} reads (${figures.readsPerSecond.toFixed(1)}/s), ${figures.edits} edits, ${figures.deletes} deletes, ${figures.idempotentRetries} idempotent retries`,
    `Channels ${figures.channels}, admins ${figures.admins}, readers ${figures.readers}, history imports ${figures.imports}, sockets ${figures.sockets}, subscribes ${figures.subscribes}`,
    `Frames delivered ${figures.framesDelivered}, post.published ${figures.publishedFrames} (${figures.repeatedPublishedFrames} repeats); 429 responses ${figures.rateLimited}`,
    `Setup ${figures.setupSeconds.toFixed(1)} s, load ${figures.loadSeconds.toFixed(1)} s, delta drain ${figures.drainSeconds.toFixed(1)} s, total ${figures.totalSeconds.toFixed(1)} s`,
    '',
    'operation            count      p50 ms    p99 ms',
    ...latencyRows(result).map(([operation, total, p50, p99]) => `${operation!.padEnd(20)} ${total!.padStart(8)} ${p50!.padStart(10)} ${p99!.padStart(9)}`),
    '',
    `Statuses: ${Object.entries(figures.statuses)
      .map(([key, total]) => `${key}: ${total}`)
      .join(', ')}`,
  ];
  if (!result.passed) lines.push('', `Violations (${Object.values(result.violationsByCheck).reduce((sum, total) => sum + total, 0)}):`, ...result.violations.map((violation) => `- ${violation}`));
  return lines.join('\n');
}

/** Renders the run as a dated section of docs/benchmarks.md. */
export function renderSoakSection(result: SoakResult, context: SoakReportContext): string {
  const { figures } = result;
  const { machine } = context;
  const checks = Object.entries(result.violationsByCheck);
  return [
    `## ${context.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC: soak`,
    '',
    `- Machine: ${machine.os}, ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(1)} GiB memory, Node.js ${machine.node}`,
    `- Load average over the minute before the run: ${machine.loadAverage.toFixed(2)}, over the last minute of the run: ${context.endLoadAverage.toFixed(2)}`,
    `- Command: \`${context.command}\``,
    `- Run time: ${figures.totalSeconds.toFixed(0)} s (setup ${figures.setupSeconds.toFixed(1)} s, load ${figures.loadSeconds.toFixed(1)} s, delta drain ${figures.drainSeconds.toFixed(1)} s)`,
    `- Result: ${result.passed ? 'no violations' : `**${checks.map(([check, total]) => `${total} ${check}`).join(', ')} violations**`}`,
    '',
    'One local stack (local/soak.ts, in memory, logLevel silent) on 127.0.0.1, with its stream poller at its default 100 ms. ' +
      `${figures.channels} channels alternate two access policies (whole archive; 30-day initial backfill). ` +
      `Before the load, ${figures.readers} readers with four subscription profiles (full, lapsed before the history ended, returning after a gap, late) subscribe on WebSockets to two channels each, ` +
      `and ${count(figures.imports)} history posts are imported with published_at from 2024-10-01, including posts 1 ms either side of each window edge. ` +
      `During the load ${figures.admins} admins (one of them a channel publisher without the admin role) publish, resend some publishes with the same Idempotency-Key, edit and delete, ` +
      'while the readers page feeds (after_seq and before_seq), read single posts, list channels and open short-lived subscriptions. ' +
      'Afterwards the run checks contiguous seqs, one post per Idempotency-Key, every feed page and post read against the expected windows, ' +
      'every delta a long-lived socket was due and none it was not, no HTTP 5xx, and no post body outside a reader\'s windows in any response or frame.',
    '',
    table(
      ['publishes', 'publishes/s', 'reads', 'reads/s', 'edits', 'deletes', 'idempotent retries', '429 responses', 'sockets', 'frames delivered', 'post.published repeats'],
      [
        [
          count(figures.publishes),
          figures.publishesPerSecond.toFixed(1),
          count(figures.reads),
          figures.readsPerSecond.toFixed(1),
          count(figures.edits),
          count(figures.deletes),
          count(figures.idempotentRetries),
          count(figures.rateLimited),
          count(figures.sockets),
          count(figures.framesDelivered),
          count(figures.repeatedPublishedFrames),
        ],
      ],
    ),
    '',
    table(['operation', 'requests', 'p50 ms', 'p99 ms'], latencyRows(result)),
    '',
    'Latency is from just before the request to the whole response body, in the soak process, which shares the 2 cores with the stack and DynamoDB Local. ' +
      '"subscribe" is from sending the subscribe message to its reply. "setup" and "verify-read" are the admin requests before and after the load.',
    '',
    ...(result.passed ? [] : ['Violations:', '', ...result.violations.map((violation) => `- ${violation}`), '']),
  ].join('\n');
}
