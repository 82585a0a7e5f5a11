// The processor child logs "<ISO time> <LEVEL> <message>" lines on stderr (src/shared/log.ts).
// The editor's log channel adds its own time and level, so the line is split here; anything else
// (a Node warning, a stack from a crash) is kept whole at warning level. Secrets are redacted
// again because not every line comes through the child's redacting logger.
import { redactSecrets } from '../shared/log';

export type ChannelLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface ChannelLine {
  level: ChannelLevel;
  message: string;
}

const LINE = /^\d{4}-\d{2}-\d{2}T[\d:.]+Z\s+(DEBUG|INFO|WARN|ERROR)\s+(.*)$/;

export function parseLogLine(line: string, stream: 'stdout' | 'stderr'): ChannelLine {
  const m = LINE.exec(line);
  if (m) return { level: m[1].toLowerCase() as ChannelLevel, message: redactSecrets(m[2]) };
  return { level: stream === 'stderr' ? 'warn' : 'info', message: redactSecrets(line) };
}
