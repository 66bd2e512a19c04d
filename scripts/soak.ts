/**
 * `npm run soak`: runs the soak (local/soak.ts) on a local stack with its
 * own in-memory DynamoDB Local, prints a summary, appends a dated section to
 * docs/benchmarks.md, and exits with 1 on any violation or setup error and
 * 2 on invalid options.
 */
import { access, appendFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine } from '../bench/report.js';
import { formatSoakSummary, renderSoakSection } from '../local/soak-report.js';
import { MAX_SOAK_CHANNELS, MAX_SOAK_CLIENTS, MAX_SOAK_PUBLISHES, runSoak, type SoakResult } from '../local/soak.js';
import { parseCommandLine } from '../local/cli.js';

const USAGE = `Usage: npm run soak -- [--publishes 10000] [--clients 20] [--channels 4] [--time-limit 480] [--no-report]

  --publishes   new posts to publish, 1 to ${MAX_SOAK_PUBLISHES} (default 10000)
  --clients     concurrent clients, 2 to ${MAX_SOAK_CLIENTS}: a quarter publish as admins, the rest read (default 20)
  --channels    channels, 1 to ${MAX_SOAK_CHANNELS} (default 4)
  --time-limit  seconds after which the load stops and the run fails (default 480)
  --no-report   print the summary only, without appending to docs/benchmarks.md`;

const REPORT_PATH = resolve(import.meta.dirname, '..', 'docs', 'benchmarks.md');
const REPORT_HEADER = '# Benchmarks\n';

// Node 20 is supported for development; the SDK's notice about its end of support would only clutter the output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

function parseOptions() {
  const { values } = parseArgs({
    options: {
      publishes: { type: 'string', default: '10000' },
      clients: { type: 'string', default: '20' },
      channels: { type: 'string', default: '4' },
      'time-limit': { type: 'string', default: '480' },
      'no-report': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  return {
    help: values.help,
    report: !values['no-report'],
    publishes: Number(values.publishes),
    clients: Number(values.clients),
    channels: Number(values.channels),
    timeLimitMs: Number(values['time-limit']) * 1000,
  };
}

async function appendSection(section: string): Promise<void> {
  const exists = await access(REPORT_PATH).then(
    () => true,
    () => false,
  );
  if (!exists) await writeFile(REPORT_PATH, REPORT_HEADER);
  await appendFile(REPORT_PATH, `\n${section}`);
}

async function main(): Promise<void> {
  const options = parseCommandLine(parseOptions, USAGE);
  if (!options) return;
  if (!Number.isFinite(options.timeLimitMs) || options.timeLimitMs <= 0) {
    process.stderr.write(`Invalid --time-limit: expected a positive number of seconds\n\n${USAGE}\n`);
    process.exit(2);
  }

  const startedAt = new Date();
  const machine = describeMachine();
  const command = `npm run soak -- ${process.argv.slice(2).join(' ')}`.trim();
  let result: SoakResult;
  try {
    result = await runSoak({ ...options, signal: interrupted.signal, log: (line) => process.stdout.write(`${line}\n`) });
  } catch (error) {
    // runSoak checks the bounds before it starts anything, so a RangeError means an option is out of range.
    if (!(error instanceof RangeError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }

  process.stdout.write(`${formatSoakSummary(result)}\n`);
  if (options.report) {
    await appendSection(renderSoakSection(result, { startedAt, command, machine, endLoadAverage: loadavg()[0] ?? 0 }));
    process.stdout.write(`Appended the results to ${REPORT_PATH}\n`);
  }
  process.exitCode = result.passed ? 0 : 1;
}

// A signal aborts the run, which stops the local stack and its DynamoDB Local before the process exits.
const interrupted = new AbortController();
process.once('SIGINT', () => {
  process.exitCode = 130;
  interrupted.abort();
});
process.once('SIGTERM', () => {
  process.exitCode = 143;
  interrupted.abort();
});

main().catch((error: unknown) => {
  process.stderr.write(`Soak run failed to run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(interrupted.signal.aborted ? Number(process.exitCode) : 1);
});
