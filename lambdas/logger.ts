/**
 * Structured JSON logger with stable keys. One line per event on stdout
 * (CloudWatch Logs in Lambda). Callers pass ids as fields, never inside the
 * message, and never tokens, signed URLs or post bodies.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Returns a logger that adds `fields` (for example requestId) to every line. */
  child(fields: LogFields): Logger;
}

export function createLogger(level: LogLevel = 'info', base: LogFields = {}, write: (line: string) => void = defaultWrite): Logger {
  const threshold = LEVEL_ORDER[level] ?? LEVEL_ORDER.info;
  const emit = (lineLevel: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields): void => {
    if (LEVEL_ORDER[lineLevel] < threshold) return;
    write(JSON.stringify({ level: lineLevel, timestamp: new Date().toISOString(), message, ...base, ...fields }));
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (fields) => createLogger(level, { ...base, ...fields }, write),
  };
}

/** Serializes an error for a log line: name, message and cause, without request data. */
export function errorFields(error: unknown): LogFields {
  if (!(error instanceof Error)) return { error: String(error) };
  return { errorName: error.name, errorMessage: error.message, ...(error.cause !== undefined && { errorCause: String(error.cause) }) };
}

function defaultWrite(line: string): void {
  process.stdout.write(`${line}\n`);
}
