import { access, appendFile, mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { dirname } from 'node:path';
import type { BundleResult } from './bundles.js';
import type { FeedResult, PageMeasurement } from './feed.js';
import type { ForumResult } from './forum.js';
import { count, kb, ms, table } from './markdown.js';
import type { PublishResult } from './publish.js';
import type { RealtimeResult } from './realtime.js';
import { renderRealtime } from './realtime-report.js';

/** Summary statistics of one series of measurements, in the unit of the series. */
export interface Summary {
  readonly count: number;
  readonly median: number;
  /** Nearest-rank 95th percentile. */
  readonly p95: number;
  /** Nearest-rank 99th percentile, which is the maximum for series of fewer than 100 values. */
  readonly p99: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('Cannot summarize an empty series of measurements');

  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  const p95 = sorted[Math.ceil(0.95 * sorted.length) - 1]!;
  const p99 = sorted[Math.ceil(0.99 * sorted.length) - 1]!;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return { count: sorted.length, median, p95, p99, mean, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

export function median(values: readonly number[]): number {
  return summarize(values).median;
}

/** Target ratio of handler to direct SDK time per publish. */
export const PUBLISH_RATIO_TARGET = 1.3;
/** Target minified size of one handler bundle, in KB (1 KB = 1,024 bytes). */
export const BUNDLE_TARGET_KB = 300;

const FILE_HEADER = `# Benchmarks

Results of \`npm run bench\` (bench/run.ts), newest section last. Each run
starts DynamoDB Local in memory on the same machine and measures:

1. **Publish overhead**: time per publish through the publish-post route
   (middy chain, parsing, idempotency and transaction services), invoked in
   process with a synthetic API Gateway event, against the same three
   DynamoDB requests sent directly with the SDK. Target: handler/direct at
   most ${PUBLISH_RATIO_TARGET}.
2. **Feed pages**: latency, DynamoDB requests and ConsumedCapacity read units
   of a 20-post page from the list-posts route, for channels of 1,000 and
   100,000 posts, with and without a 10,000-post range hidden by the
   reader's subscription periods. Target: flat across sizes and hidden ranges.
3. **Bundle size** of each handler, bundled with esbuild as the CDK stack
   does. Target: at most ${BUNDLE_TARGET_KB} KB minified.
4. **Import time** of each bundle: a cold \`import()\` in a fresh node process.
5. **Realtime deltas** on the local stack: time from a publish request to
   the \`post.published\` frame on 1, 100 and 1,000 subscribed sockets. Also
   deltas delivered per second in a burst at 1,000 sockets, against a plain
   \`ws\` broadcast of the same frames.

\`npm run bench -- --only realtime\` (or any comma-separated list of
bundles, publish, feed and realtime) runs only those, and each section lists the
benchmarks its run included.

DynamoDB Local runs on the JVM beside the benchmark and shares its cores, so
latencies here compare paths with each other on one machine; they are not
estimates of DynamoDB latency in AWS.
`;

export interface MachineDescription {
  readonly os: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  /** One-minute load average when the run started; other work on a shared machine inflates latencies. */
  readonly loadAverage: number;
}

export function describeMachine(): MachineDescription {
  const processors = cpus();
  return {
    os: `${osType()} ${release()}`,
    cpu: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    memoryGiB: totalmem() / 1024 ** 3,
    node: process.version,
    loadAverage: loadavg()[0] ?? 0,
  };
}

/** One run's results. A benchmark left out with `--only` has no result. */
export interface RunReport {
  readonly startedAt: Date;
  readonly durationSeconds: number;
  readonly command: string;
  readonly machine: MachineDescription;
  /** One-minute load average when the run ended, which shows other work that started during it. */
  readonly endLoadAverage: number;
  readonly publish?: PublishResult;
  readonly feed?: FeedResult;
  readonly forum?: ForumResult;
  readonly bundles?: BundleResult;
  readonly realtime?: RealtimeResult;
}

/** Appends the run's section to the benchmark page, creating the page with its header first when missing. */
export async function appendReport(path: string, report: RunReport): Promise<void> {
  const exists = await access(path).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, FILE_HEADER);
  }
  await appendFile(path, `\n${renderReport(report)}`);
}

export function renderReport(report: RunReport): string {
  const { machine } = report;
  return [
    `## ${report.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- Machine: ${machine.os}, ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(1)} GiB memory, Node.js ${machine.node}`,
    `- Load average over the minute before the run: ${machine.loadAverage.toFixed(2)}, over the last minute of the run: ${report.endLoadAverage.toFixed(2)}`,
    `- Command: \`${report.command}\``,
    `- Benchmarks: ${includedBenchmarks(report).join(', ')}`,
    `- Run time: ${report.durationSeconds.toFixed(0)} s, setup included`,
    '',
    ...(report.publish ? [renderPublish(report.publish)] : []),
    ...(report.feed ? [renderFeed(report.feed)] : []),
    ...(report.forum ? [renderForum(report.forum)] : []),
    ...(report.bundles ? [renderBundles(report.bundles)] : []),
    ...(report.realtime ? [renderRealtime(report.realtime)] : []),
  ].join('\n');
}

function includedBenchmarks(report: RunReport): string[] {
  const sections = [
    ['publish', report.publish],
    ['feed', report.feed],
    ['forum', report.forum],
    ['bundles', report.bundles],
    ['realtime', report.realtime],
  ] as const;
  return sections.filter(([, result]) => result !== undefined).map(([name]) => name);
}

function renderPublish(result: PublishResult): string {
  const ratio = result.handler.median / result.direct.median;
  const meanRatio = result.handler.mean / result.direct.mean;
  const verdict = ratio <= PUBLISH_RATIO_TARGET ? 'within' : 'over';
  return [
    '### Publish overhead',
    '',
    `${result.posts} publishes per path after ${result.warmup} warm-up publishes each, sequential, the two paths alternating which goes first.`,
    '',
    table(
      ['path', 'median ms', 'p95 ms', 'mean ms', 'DynamoDB requests per publish'],
      [
        ['publish-post handler', ms(result.handler.median), ms(result.handler.p95), ms(result.handler.mean), result.handlerRequests.toFixed(1)],
        ['direct SDK calls', ms(result.direct.median), ms(result.direct.p95), ms(result.direct.mean), result.directRequests.toFixed(1)],
      ],
    ),
    '',
    `Handler/direct: ${ratio.toFixed(2)} on the median, ${meanRatio.toFixed(2)} on the mean (target at most ${PUBLISH_RATIO_TARGET}: ${verdict} target).`,
    '',
  ].join('\n');
}

function renderForum(result: ForumResult): string {
  const rows = result.bursts.map((burst) => [
    String(burst.replies),
    ms(burst.wallMs),
    ms(burst.latency.median),
    ms(burst.latency.p95),
    ms(burst.latency.max),
    burst.transactionsPerReply.toFixed(2),
    burst.requestsPerReply.toFixed(1),
  ]);
  return [
    '### Forum replies',
    '',
    `${result.replies} sequential replies through the post-message handler after ${result.warmup} warm-up replies, each from its own user in an open forum: ` +
      `median ${ms(result.reply.median)} ms, p95 ${ms(result.reply.p95)} ms, mean ${ms(result.reply.mean)} ms, ` +
      `${result.replyRequests.toFixed(1)} DynamoDB requests per reply.`,
    '',
    'Bursts of concurrent replies to one new topic, which contend on its counter; every burst is checked to end at last_seq = replies + 1 (the first message is seq 1).',
    '',
    table(['replies at once', 'wall ms', 'median ms', 'p95 ms', 'max ms', 'transactions per reply', 'requests per reply'], rows),
    '',
    '"transactions per reply" above 1 counts lost counter races that were retried with backoff.',
    '',
  ].join('\n');
}

function renderFeed(result: FeedResult): string {
  const seeding = result.seeding.map((entry) => `${entry.channelId} (${count(entry.posts)} posts) in ${entry.seconds.toFixed(1)} s`).join(', ');
  const scenarios = result.scenarios.map((scenario) => {
    const hidden = scenario.hidden ? `, seq ${count(scenario.hidden.from)}–${count(scenario.hidden.to)} hidden by the reader's periods` : ', reader sees every post';
    return `- ${scenario.name}: channel ${scenario.channelId}, ${count(scenario.channelPosts)} posts${hidden}`;
  });
  const rows = result.pages.map((page) => [
    page.scenario,
    page.position,
    ms(page.latency.median),
    ms(page.latency.p95),
    range(page.requests),
    page.operations,
    range(page.readUnits),
    String(page.requestsWithoutCapacity),
  ]);
  return [
    '### Feed pages',
    '',
    `limit=${result.limit}; ${result.pagesPerPosition} measured pages per row after ${result.warmupRounds} warm-up rounds, rows interleaved round by round. ` +
      'The reader has no admin role, so every page runs the built-in access provider. ' +
      `Seeded with BatchWriteItem, ${result.seedConcurrency} requests in flight: ${seeding}.`,
    '',
    ...scenarios,
    '',
    'The pages "across the hidden range" start 5 posts before it (after_seq) or end 5 posts after it (before_seq), so 15 of their 20 posts lie beyond it; ' +
      'without a hidden range they sit at the same seqs. Every page is checked against the seqs the reader should see.',
    '',
    table(['scenario', 'page', 'median ms', 'p95 ms', 'requests', 'operations', 'read units', 'requests without capacity'], rows),
    '',
    '"read units" sums ConsumedCapacity over the requests that report it. The GetItem of the channel and of the periods ask for none. ' +
      'Each is a strongly consistent read of an item under 4 KB, so in DynamoDB each would add 1 read unit. That is an estimate from the pricing rules, not a measurement.',
    '',
    ...flatnessLines(result.pages),
    '',
  ].join('\n');
}

/** Compares each page position across channel sizes, separately for readers with and without a hidden range. */
function flatnessLines(pages: readonly PageMeasurement[]): string[] {
  const lines: string[] = [];
  for (const hidden of [false, true]) {
    const group = pages.filter((page) => page.hidesPosts === hidden);
    const positions = [...new Set(group.map((page) => page.position))];
    const spreads = positions.map((position) => {
      const rows = group.filter((page) => page.position === position);
      const units = rows.map((page) => page.readUnits.max);
      const requests = rows.map((page) => page.requests.max);
      return { units: Math.max(...units) - Math.min(...units), requests: Math.max(...requests) - Math.min(...requests) };
    });
    const unitSpread = Math.max(...spreads.map((spread) => spread.units));
    const requestSpread = Math.max(...spreads.map((spread) => spread.requests));
    const flat = unitSpread <= 1 && requestSpread === 0;
    lines.push(
      `- ${hidden ? 'With' : 'Without'} a hidden range, 1,000 against 100,000 posts: read units per page differ by at most ${unitSpread}, ` +
        `requests by at most ${requestSpread} at the same position (${flat ? 'flat' : 'not flat'}).`,
    );
  }
  return lines;
}

function renderBundles(result: BundleResult): string {
  const rows = result.bundles.map((bundle) => [
    bundle.handler,
    kb(bundle.minifiedBytes),
    kb(bundle.gzipBytes),
    kb(bundle.sourceMapBytes),
    bundle.minifiedBytes / 1024 <= BUNDLE_TARGET_KB ? 'ok' : '**over**',
    typeof bundle.importMs === 'number' ? ms(bundle.importMs) : bundle.importMs,
    typeof bundle.importWithSourceMapsMs === 'number' ? ms(bundle.importWithSourceMapsMs) : bundle.importWithSourceMapsMs,
  ]);
  const over = result.bundles.filter((bundle) => bundle.minifiedBytes / 1024 > BUNDLE_TARGET_KB).length;
  return [
    '### Lambda bundles and import time',
    '',
    'esbuild JS API with the settings of lib/handler-function.ts: bundle, minify, platform node, target node22, format esm, ' +
      'main fields module then main, linked source map without sources content, no external modules. ' +
      `gzip is Node's zlib at its default level. Import time is the median of ${result.importRuns} cold \`import()\` calls, ` +
      'each in a fresh `node` process, timed with performance.now() inside it; the second column adds `--enable-source-maps`, ' +
      'which the CDK stack sets in NODE_OPTIONS.',
    '',
    table(['handler', 'minified KB', 'gzip KB', 'source map KB', `≤ ${BUNDLE_TARGET_KB} KB`, 'import ms', 'import ms, source maps on'], rows),
    '',
    `${over} of ${result.bundles.length} bundles are over the ${BUNDLE_TARGET_KB} KB target.`,
    '',
    ...result.failed.map((failure) => `- **${failure.handler} did not bundle**: ${failure.error}`),
    ...(result.failed.length > 0 ? [''] : []),
    ...(result.largest ? renderLargestBundle(result.largest) : []),
  ].join('\n');
}

function renderLargestBundle(largest: NonNullable<BundleResult['largest']>): string[] {
  return [
    `Largest bundle, ${largest.handler}: top input modules by bytes in the output.`,
    '',
    table(
      ['module', 'KB'],
      largest.topModules.map((module) => [`\`${module.name}\``, kb(module.bytes)]),
    ),
    '',
    'The same bundle by package:',
    '',
    table(
      ['package', 'KB'],
      largest.topPackages.map((entry) => [`\`${entry.name}\``, kb(entry.bytes)]),
    ),
    '',
  ];
}

/** Formats a per-page value once when every page has it, or as a min–max range when it varies. */
function range(summary: Summary): string {
  const format = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(1));
  return summary.min === summary.max ? format(summary.min) : `${format(summary.min)}–${format(summary.max)}`;
}
