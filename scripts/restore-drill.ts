/**
 * `npm run drill`: runs the restore drill on an in-memory DynamoDB Local,
 * prints its report, and exits with 1 on any mismatch or setup error and
 * 2 on invalid options.
 */
import { parseArgs } from 'node:util';
import { formatDrillReport, MAX_DRILL_CHANNELS, MAX_DRILL_POSTS_PER_CHANNEL, runRestoreDrill } from '../local/restore-drill.js';
import { parseCommandLine } from '../local/cli.js';

const USAGE = `Usage: npm run drill -- [--channels 3] [--posts-per-channel 30] [--export-dir DIR]

  --channels           channels to seed, 1 to ${MAX_DRILL_CHANNELS} (default 3)
  --posts-per-channel  posts per channel, 4 to ${MAX_DRILL_POSTS_PER_CHANNEL} (default 30)
  --export-dir         write the export files here and keep them (default a temporary directory, removed at the end)`;

// Node 20 is supported for development; the SDK's notice about its end of support would only clutter the report.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

function parseOptions() {
  const { values } = parseArgs({
    options: {
      channels: { type: 'string', default: '3' },
      'posts-per-channel': { type: 'string', default: '30' },
      'export-dir': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  return {
    help: values.help,
    channels: Number(values.channels),
    postsPerChannel: Number(values['posts-per-channel']),
    ...(values['export-dir'] !== undefined && { exportDir: values['export-dir'] }),
  };
}

async function main(): Promise<void> {
  const options = parseCommandLine(parseOptions, USAGE);
  if (!options) return;

  let report: Awaited<ReturnType<typeof runRestoreDrill>>;
  try {
    report = await runRestoreDrill({ ...options, log: (line) => process.stdout.write(`${line}\n`) });
  } catch (error) {
    // runRestoreDrill checks the bounds before it starts anything, so a RangeError means an option is out of range.
    if (!(error instanceof RangeError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  process.stdout.write(`${formatDrillReport(report)}\n`);
  process.exitCode = report.passed ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`Restore drill failed to run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
