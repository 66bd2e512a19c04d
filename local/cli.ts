/**
 * Runs a command-line parser for the project's scripts: on an invalid option
 * it prints the message and the usage to stderr and exits with code 2; with
 * `--help` it prints the usage and returns undefined.
 */
export function parseCommandLine<Options extends { help?: boolean }>(parse: () => Options, usage: string): Options | undefined {
  let options: Options;
  try {
    options = parse();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  return options;
}
