import type * as vscode from 'vscode';
import { type Logger, redactSecrets } from '../shared/log';
import { parseLogLine } from './logLines';

/** Blueplane: Show Logs. The channel stamps time and level itself; messages are redacted first. */
export function channelLogger(channel: vscode.LogOutputChannel): Logger {
  return {
    debug: (m) => channel.debug(redactSecrets(m)),
    info: (m) => channel.info(redactSecrets(m)),
    warn: (m) => channel.warn(redactSecrets(m)),
    error: (m) => channel.error(redactSecrets(m)),
  };
}

/** One line of the processor child's output, at its own level. */
export function appendProcessorLine(channel: vscode.LogOutputChannel, line: string, stream: 'stdout' | 'stderr'): void {
  if (line.trim() === '') return;
  const { level, message } = parseLogLine(line, stream);
  channel[level](`[processor] ${message}`);
}
