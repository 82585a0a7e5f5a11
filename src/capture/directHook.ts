// The direct hook (dist/hook.js): `node hook.js <eventName>`, Cursor's payload on stdin.
// For Windows, for machines whose processor is elsewhere (a team's central Redis), and as the
// plan's hook writing straight to Redis. Same contract as spoolHook.sh (DESIGN.md invariant 1):
// read stdin to the end, print exactly one JSON answer, exit 0, whatever happens. The event is
// in Redis, or in the spool for the forwarder, before the answer is printed (invariant 2).
//
// Start-up time is the cost the agent pays on every event, so this bundle imports no ioredis,
// yaml or zod: settings come from hook-settings.json (written by the installer and the processor)
// and the environment, and XADD goes through the small RESP client in respClient.ts, over a
// connection that loads neither node:net nor node:stream when Redis is at an IP address
// (byteStream.ts), nor node:crypto for hashing (sha256.ts).
import { existsSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { allowAnswer } from '../shared/eventTypes';
import { blueplaneHome } from '../config/paths';
import { captureEntry, type CaptureEntry } from './captureEntry';
import { HOOK_SETTINGS_FILE, readHookSettings, type HookSettings } from './hookSettings';
import { parseRedisUrl, RespConnection, RespError } from './respClient';
import { writeSpoolFile } from './spoolFiles';

/** Beyond this, answer anyway: Cursor must never wait on us for long (hooks.json timeout is 10 s). */
const HARD_DEADLINE_MS = 5000;

const fireTimeMs = Date.now();
const hookArg = process.argv[2] ?? '';
const answer = allowAnswer(hookArg);
let answered = false;

function warn(message: string): void {
  process.stderr.write(`blueplane hook: ${message}\n`);
}

function answerAndExit(): void {
  if (answered) return;
  answered = true;
  // A synchronous write to fd 1 and exit: no stdout stream to set up, nothing left buffered.
  try {
    writeSync(1, `${answer}\n`);
  } catch (err) {
    warn(`could not write the answer to stdout (${(err as Error).message}).`);
  }
  process.exit(0);
}

process.on('uncaughtException', (err) => {
  warn(`unexpected error (${err.message}); answering so the agent goes on.`);
  answerAndExit();
});
process.on('unhandledRejection', (err) => {
  warn(`unexpected error (${err instanceof Error ? err.message : String(err)}); answering so the agent goes on.`);
  answerAndExit();
});
setTimeout(() => {
  warn(`gave up after ${HARD_DEADLINE_MS} ms; the event may not have been captured.`);
  answerAndExit();
}, HARD_DEADLINE_MS);

/**
 * All of stdin. Read synchronously from fd 0 (setting up process.stdin costs start-up time); a
 * non-blocking pipe answers EAGAIN, and then the rest is read through the stream.
 */
function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  const buf = Buffer.allocUnsafe(256 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EOF') break; // Windows: the writer closed the pipe
      if (code !== 'EAGAIN') throw err;
      return new Promise((resolve, reject) => {
        process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk));
        process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        process.stdin.on('error', reject);
      });
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Promise.resolve(Buffer.concat(chunks).toString('utf8'));
}

/** The installed settings sit next to the installed hook; else BLUEPLANE_HOME's; else defaults. */
function settingsFile(): string {
  const beside = join(__dirname, HOOK_SETTINGS_FILE);
  return existsSync(beside) ? beside : join(blueplaneHome(), 'hooks', HOOK_SETTINGS_FILE);
}

async function sendToRedis(connection: RespConnection, entry: CaptureEntry, settings: HookSettings): Promise<void> {
  const [stream, maxlen] = entry.kind === 'event' ? [settings.events_stream, settings.events_maxlen] : [settings.dlq_stream, settings.dlq_maxlen];
  const flat = entry.kind === 'event' ? Object.entries(entry.fields).flat() : entry.fields;
  const [reply] = await connection.send([['XADD', stream, 'MAXLEN', '~', String(maxlen), '*', ...flat]], settings.direct_timeout_ms);
  if (reply instanceof RespError) throw reply;
}

async function capture(): Promise<void> {
  const { settings, problems } = readHookSettings(settingsFile());
  for (const problem of problems) warn(problem);
  // Connect first: the handshake runs while stdin is read and the entry is built.
  let connection: RespConnection | undefined;
  try {
    connection = RespConnection.open(parseRedisUrl(settings.redis_url));
  } catch (err) {
    warn(`${(err as Error).message} The event goes to the spool.`);
  }
  const text = await readStdin();
  if (connection) {
    try {
      const entry = captureEntry(
        { text, hookArg, fireTimeMs, route: 'direct', eventsStream: settings.events_stream, origin: 'direct-hook' },
        {
          privacyMode: settings.privacy_mode,
          scrubSecrets: settings.scrub_secrets,
          hashWorkspacePaths: settings.hash_workspace_paths,
          maxEntryBytes: settings.max_entry_bytes,
        },
      );
      await sendToRedis(connection, entry, settings);
      return;
    } catch (err) {
      connection.close();
      // The spool file has the same fire time in its name, so the forwarder derives the same
      // event_id: if Redis did store the entry before timing out, the copy is not a second row.
      warn(`could not send the ${hookArg || 'unknown'} event to Redis (${(err as Error).message}); spooling it for the processor.`);
    }
  }
  try {
    writeSpoolFile(settings.spool_dir, hookArg, fireTimeMs, text);
  } catch (err) {
    warn(`could not spool the event to ${settings.spool_dir} either (${(err as Error).message}); it was not captured, check the folder's permissions and free disk space.`);
  }
}

capture().then(answerAndExit, (err: unknown) => {
  warn(`capture failed (${err instanceof Error ? err.message : String(err)}); the event was not captured.`);
  answerAndExit();
});
