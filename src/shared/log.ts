// A tiny logger with redaction built in, set up before anything else logs (STYLE.md, gitlens):
// whatever reaches a log line passes through `redactSecrets` first, so a Redis password in a URL
// or a token in an error message never lands in a log file or the editor's output channel.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type LogSink = (level: LogLevel, line: string) => void;

const REDACTIONS: Array<[RegExp, string]> = [
  // user:password@ in URLs (redis://, rediss://, postgres://, https://)
  [/(\b[a-z][a-z0-9+.-]*:\/\/)([^/\s:@]*):([^@\s/]+)@/gi, '$1$2:***@'],
  [/\b(password|passwd|pwd|secret|token|api[_-]?key|authorization)(["']?\s*[:=]\s*["']?)([^\s"',;]+)/gi, '$1$2***'],
  [/\b(sk-[A-Za-z0-9_-]{16,}|ghp_[A-Za-z0-9]{20,}|gho_[A-Za-z0-9]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,})/g, '***'],
  [/\bBearer\s+[A-Za-z0-9._~+/-]+=*/g, 'Bearer ***'],
];

export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of REDACTIONS) out = out.replace(pattern, replacement);
  return out;
}

export function createLogger(sink: LogSink, minLevel: LogLevel = 'info'): Logger {
  const emit = (level: LogLevel, message: string) => {
    if (ORDER[level] < ORDER[minLevel]) return;
    sink(level, `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${redactSecrets(message)}`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
  };
}

/** Logs to stderr: stdout is reserved for command output (and, in hooks, for Cursor's answer). */
export function stderrLogger(minLevel: LogLevel = (process.env.BLUEPLANE_LOG_LEVEL as LogLevel) || 'info'): Logger {
  return createLogger((_level, line) => process.stderr.write(line + '\n'), ORDER[minLevel] ? minLevel : 'info');
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
