import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type BuildFailure, type Metafile } from 'esbuild';
import { median } from './report.js';
import { LAMBDA_BUNDLE_ALIASES } from '../lib/bundle-aliases.js';

const execFileAsync = promisify(execFile);

export interface BundleOptions {
  /** Fresh `node` processes per handler and mode whose import time is measured. */
  readonly importRuns: number;
  /** A single import that takes longer than this, in ms, fails the benchmark. */
  readonly importTimeoutMs: number;
}

export interface HandlerBundle {
  readonly handler: string;
  readonly minifiedBytes: number;
  readonly gzipBytes: number;
  readonly sourceMapBytes: number;
  /** Median ms of a cold `import()` of the bundle, or the error that import threw. */
  readonly importMs: number | string;
  /** The same with `--enable-source-maps`, which the CDK stack sets in NODE_OPTIONS. */
  readonly importWithSourceMapsMs: number | string;
}

export interface ModuleSize {
  readonly name: string;
  readonly bytes: number;
}

export interface BundleResult extends BundleOptions {
  readonly bundles: readonly HandlerBundle[];
  /** Handlers esbuild could not bundle, with the first line of its error. */
  readonly failed: readonly { readonly handler: string; readonly error: string }[];
  /** Absent when no handler could be bundled. */
  readonly largest?: {
    readonly handler: string;
    readonly topModules: readonly ModuleSize[];
    readonly topPackages: readonly ModuleSize[];
  };
}

const PROJECT_ROOT = resolve(import.meta.dirname, '..');
const HANDLERS_DIR = join(PROJECT_ROOT, 'lambdas', 'handlers');

/**
 * Bundles every lambdas/handlers/*.ts with the esbuild settings of the
 * route functions in lib/handler-function.ts (ESM, node22, minified, linked
 * source map without sources, every dependency bundled), then measures
 * sizes and the cold import time of each bundle in fresh node processes.
 */
export async function benchmarkBundles(options: BundleOptions): Promise<BundleResult> {
  const handlers = (await readdir(HANDLERS_DIR)).filter((file) => file.endsWith('.ts')).sort();
  const outdir = await mkdtemp(join(tmpdir(), 'comm-bench-bundles-'));

  try {
    const built: { handler: string; outfile: string; metafile: Metafile }[] = [];
    const failed: { handler: string; error: string }[] = [];
    for (const file of handlers) {
      const handler = basename(file, '.ts');
      const outfile = join(outdir, `${handler}.mjs`);
      try {
        built.push({ handler, outfile, metafile: await bundleHandler(join(HANDLERS_DIR, file), outfile) });
      } catch (error) {
        failed.push({ handler, error: describeBuildError(error) });
      }
    }

    // One unmeasured import first, so that the first handler does not pay for loading node itself from disk.
    if (built[0]) await importMs(built[0].outfile, [], options.importTimeoutMs).catch(() => undefined);

    const bundles: HandlerBundle[] = [];
    for (const { handler, outfile } of built) {
      const code = await readFile(outfile);
      const sourceMap = await readFile(`${outfile}.map`);
      console.log(`Timing imports of ${handler}.mjs`);
      bundles.push({
        handler,
        minifiedBytes: code.byteLength,
        gzipBytes: gzipSync(code).byteLength,
        sourceMapBytes: sourceMap.byteLength,
        importMs: await medianImportMs(outfile, [], options),
        importWithSourceMapsMs: await medianImportMs(outfile, ['--enable-source-maps'], options),
      });
    }

    const largest = built.reduce<(typeof built)[number] | undefined>((max, entry) => {
      const size = (candidate: (typeof built)[number]): number => bundleOutput(candidate.metafile).bytes;
      return max === undefined || size(entry) > size(max) ? entry : max;
    }, undefined);
    return {
      ...options,
      bundles,
      failed,
      ...(largest && {
        largest: { handler: largest.handler, topModules: topModules(bundleOutput(largest.metafile)), topPackages: topPackages(bundleOutput(largest.metafile)) },
      }),
    };
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

/** Bundles one handler as the CDK stack does, one esbuild run per function, and returns esbuild's metafile. */
async function bundleHandler(entryPoint: string, outfile: string): Promise<Metafile> {
  const { metafile } = await build({
    entryPoints: [entryPoint],
    absWorkingDir: PROJECT_ROOT,
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    mainFields: ['module', 'main'],
    alias: { ...LAMBDA_BUNDLE_ALIASES },
    minify: true,
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    logLevel: 'silent',
  });
  return metafile;
}

/** Times `import()` of the bundle in a new node process per run; returns the median, or the first error message. */
async function medianImportMs(outfile: string, nodeFlags: readonly string[], options: BundleOptions): Promise<number | string> {
  const times: number[] = [];
  for (let run = 0; run < options.importRuns; run += 1) {
    try {
      times.push(await importMs(outfile, nodeFlags, options.importTimeoutMs));
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      const firstError = stderr.split('\n').find((line) => /Error/.test(line)) ?? (error as Error).message;
      return `import failed: ${firstError.trim()}`;
    }
  }
  return median(times);
}

/** Runs one `node` process that imports the bundle and prints how long the import took, in ms. */
async function importMs(outfile: string, nodeFlags: readonly string[], timeoutMs: number): Promise<number> {
  const script = 'const started = performance.now(); await import(process.env.BENCH_MODULE_URL); process.stdout.write(String(performance.now() - started));';
  const { stdout } = await execFileAsync(process.execPath, [...nodeFlags, '--input-type=module', '-e', script], {
    env: { ...process.env, BENCH_MODULE_URL: pathToFileURL(outfile).href, NODE_OPTIONS: '' },
    timeout: timeoutMs,
  });
  return Number(stdout);
}

/** Describes the first esbuild error with its file and line, or returns the message of any other error. */
function describeBuildError(error: unknown): string {
  const first = (error as Partial<BuildFailure>).errors?.[0];
  if (!first) return String((error as Error)?.message ?? error);
  const location = first.location ? ` (${first.location.file}:${first.location.line})` : '';
  return `${first.text}${location}`;
}

/** Returns the JavaScript output of a one-handler build; the other output is its source map. */
function bundleOutput(metafile: Metafile): Metafile['outputs'][string] {
  const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith('.mjs'));
  if (!output) throw new Error("esbuild's metafile lists no .mjs output");
  return output[1];
}

function topModules(output: Metafile['outputs'][string], count = 5): ModuleSize[] {
  return Object.entries(output.inputs)
    .map(([path, input]) => ({ name: relative(PROJECT_ROOT, resolve(PROJECT_ROOT, path)), bytes: input.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, count);
}

/** Sums output bytes per npm package, with the project's own code under `(project)`. */
function topPackages(output: Metafile['outputs'][string], count = 8): ModuleSize[] {
  const totals = new Map<string, number>();
  for (const [path, input] of Object.entries(output.inputs)) {
    // The last node_modules segment names the package when dependencies nest.
    const packagePath = path.split('node_modules/').at(-1) ?? path;
    const match = path.includes('node_modules/') ? /^(@[^/]+\/[^/]+|[^/]+)/.exec(packagePath) : null;
    const name = match?.[1] ?? '(project)';
    totals.set(name, (totals.get(name) ?? 0) + input.bytesInOutput);
  }
  return [...totals]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, count);
}
