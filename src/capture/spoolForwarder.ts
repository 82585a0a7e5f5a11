// SpoolForwarder: moves the events that hooks left in the spool folder to the event stream.
// Runs inside the processor (the leader only). Exactly once (DESIGN.md invariants 2 and 3): a file
// is deleted only after Redis accepted its entry, and its event_id is derived from the file (fire
// time from its name or mtime, content), so forwarding it again after a crash between XADD and
// delete gives the same event_id and raw_traces keeps one row. The two file formats and when a
// file is complete are described in spoolFiles.ts.
import { promises as fs, watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import type { Redis } from 'ioredis';
import type { Config } from '../config/config';
import { errorMessage, type Logger } from '../shared/log';
import { deadLetterFields } from '../processing/fastPath/deadLetters';
import type { LeaderComponent, LeaderContext } from '../processing/server';
import { captureEntry, type CaptureEntry } from './captureEntry';
import { writeHookSettings } from './hookSettings';
import { refreshInstalledScripts } from './hooksInstaller';
import { fireTimeOf, markerCommits, parseSpoolMarker, parseSpoolName, STALE_TEMP_MS, TEMP_PREFIX, type SpoolName } from './spoolFiles';

export { STALE_TEMP_MS };
/**
 * A marker whose data file is gone this long is a leftover (deletes done in another order than
 * ours, a hook that finished after its data was forwarded as stale, or a stray), removed so it
 * cannot pass for the marker of a later file of that name.
 * Younger ones are left: a listing taken while a hook wrote both may show the marker alone.
 */
export const ORPHAN_MARKER_MS = 5_000;
/** Replies Redis refuses (not connection failures) before a file goes to the DLQ. */
const MAX_REFUSALS = 3;
/** Larger files are not read whole into the processor's memory. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface SpoolForwarderOptions {
  config: Config;
  redis: Redis;
  log: Logger;
  /** How long an unfinished file waits before it counts as abandoned; STALE_TEMP_MS unless a test shortens it. */
  staleMs?: number;
}

export interface SpoolForwarderStats {
  /** Events XADDed to the event stream (and their files deleted). */
  forwarded: number;
  /** Attempts that failed and will be retried (Redis unreachable or refusing). */
  failed: number;
  /** Events deleted without forwarding: over the spool bounds, abandoned temp files. */
  dropped: number;
  /** Files that were not valid JSON, sent to the DLQ. */
  parseFailures: number;
  /** Spool files waiting after the last pass. */
  backlog: number;
}

interface SpoolFile extends SpoolName {
  file: string;
  bytes: number;
  fireMs: number;
  /** A marked data file forwarded without its marker: its hook died (or the marker could not be made). */
  markerless: boolean;
}

interface FileStat {
  bytes: number;
  mtimeMs: number;
}

type Outcome = 'done' | 'retry_later' | 'redis_down';

export class SpoolForwarder {
  private readonly config: Config;
  private readonly redis: Redis;
  private readonly log: Logger;
  private readonly dir: string;
  private readonly counts: SpoolForwarderStats = { forwarded: 0, failed: 0, dropped: 0, parseFailures: 0, backlog: 0 };
  private readonly refusals = new Map<string, number>();
  // Size and mtime per complete spool file: files never change once renamed into place or marked
  // complete, so a backlog of thousands (Redis down) is not stat'ed again on every scan.
  private readonly fileStats = new Map<string, FileStat>();
  /** When this process first saw each unfinished file (performance.now()), for isStale(). */
  private readonly firstSeen = new Map<string, number>();
  private readonly staleMs: number;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private passAgain = false;
  private started = false;
  private stopping: Promise<void> | undefined;
  private redisDown = false;
  /** The last pass failure logged, so a lasting problem is logged once, not every scan. */
  private lastPassError: string | undefined;

  constructor(options: SpoolForwarderOptions) {
    this.config = options.config;
    this.redis = options.redis;
    this.log = options.log;
    this.staleMs = options.staleMs ?? STALE_TEMP_MS;
    this.dir = options.config.paths.spool;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
      // A folder made by someone else's umask: spool files hold prompts and code (invariant 9).
      await fs.chmod(this.dir, 0o700);
    } catch (err) {
      // Not fatal for the processor: the scans retry, and the hooks still answer Cursor.
      this.log.error(`Cannot prepare the spool folder ${this.dir} (${errorMessage(err)}); hooks cannot spool events until its parent is writable.`);
    }
    this.refreshInstalledHooks();
    this.watch();
    this.timer = setInterval(() => this.schedule(), this.config.spool.scan_interval_ms);
    this.timer.unref();
    this.schedule();
  }

  /** Stop watching, let the file in progress finish, then resolve. Safe to call more than once. */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        if (this.timer) clearInterval(this.timer);
        this.watcher?.close();
        this.watcher = undefined;
        await this.running;
      })();
    }
    return this.stopping;
  }

  stats(): SpoolForwarderStats {
    return { ...this.counts };
  }

  /** Forward everything in the spool now; resolves when the pass is over. For tests and `verify`. */
  async drain(): Promise<void> {
    this.schedule();
    while (this.running) await this.running;
  }

  /**
   * Keep what the hooks read in step with this version: the installed scripts (after an extension
   * upgrade) and hook-settings.json (after a config.yaml change). Only the leader does this.
   */
  private refreshInstalledHooks(): void {
    try {
      for (const script of refreshInstalledScripts(this.config)) this.log.info(`Updated the installed hook ${script} to this version.`);
    } catch (err) {
      this.log.warn(`Could not update the installed hook scripts in ${this.config.paths.hooks} (${errorMessage(err)}); the old ones keep working, and \`blueplane hooks install\` replaces them.`);
    }
    try {
      writeHookSettings(this.config, false);
    } catch (err) {
      this.log.warn(`Could not update ${this.config.paths.hooks}/hook-settings.json (${errorMessage(err)}); direct hooks keep their old settings until \`blueplane hooks install\` runs.`);
    }
  }

  private watch(): void {
    try {
      this.watcher = watch(this.dir, () => this.schedule());
      this.watcher.on('error', (err) => {
        this.log.warn(`Watching the spool folder ${this.dir} failed (${err.message}); falling back to the periodic scan.`);
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (err) {
      this.log.warn(`Cannot watch the spool folder ${this.dir} (${errorMessage(err)}); events are picked up by the periodic scan only.`);
    }
  }

  /** One pass at a time; a request during a pass runs one more pass after it. */
  private schedule(): void {
    if (this.stopping) return;
    if (this.running) {
      this.passAgain = true;
      return;
    }
    this.running = (async () => {
      do {
        this.passAgain = false;
        try {
          await this.pass();
          this.lastPassError = undefined;
        } catch (err) {
          const message = `Reading the spool ${this.dir} failed (${errorMessage(err)}); retrying at every scan, check the folder's permissions.`;
          if (message !== this.lastPassError) this.log.error(message);
          this.lastPassError = message;
        }
      } while (this.passAgain && !this.stopping);
    })().finally(() => {
      this.running = undefined;
    });
  }

  private async pass(): Promise<void> {
    const files = await this.listSpool();
    this.counts.backlog = files.length;
    const kept = await this.enforceBounds(files);
    this.counts.backlog = kept.length;
    for (const file of kept) {
      if (this.stopping) return;
      const outcome = await this.forward(file);
      if (outcome === 'done') this.counts.backlog--;
      if (outcome === 'redis_down') return;
    }
  }

  /** Spool files ready to forward, oldest first; removes abandoned temp files and orphan markers on the way. */
  private async listSpool(): Promise<SpoolFile[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
      return [];
    }
    const now = Date.now();
    const files: SpoolFile[] = [];
    const present = new Set(names);
    for (const name of this.fileStats.keys()) if (!present.has(name)) this.fileStats.delete(name);
    for (const name of this.firstSeen.keys()) if (!present.has(name)) this.firstSeen.delete(name);
    for (const name of names) {
      if (name.startsWith(TEMP_PREFIX)) {
        const stat = await this.statOf(name);
        if (stat && this.isStale(name, stat.mtimeMs, now)) await this.dropStaleTemp(path.join(this.dir, name));
        continue;
      }
      const marks = parseSpoolMarker(name);
      if (marks !== undefined) {
        if (!present.has(marks)) await this.dropOrphanMarker(name, now);
        continue; // otherwise handled with its data file
      }
      const parsed = parseSpoolName(name);
      if (!parsed) continue; // not ours (a user's stray file): leave it alone
      const file = await this.readyFile(parsed, present, now);
      if (file) files.push(file);
    }
    // Ties (mtimes are as coarse as the kernel tick, 1-10 ms, on Linux): the earlier pid first.
    return files.sort((a, b) => a.fireMs - b.fireMs || a.pid - b.pid || (a.name < b.name ? -1 : 1));
  }

  /** A data file that is ready to forward, or undefined while it is being written (or gone). */
  private async readyFile(parsed: SpoolName, present: Set<string>, now: number): Promise<SpoolFile | undefined> {
    const ready = (stat: FileStat, markerless = false): SpoolFile => ({
      ...parsed,
      file: path.join(this.dir, parsed.name),
      bytes: stat.bytes,
      fireMs: fireTimeOf(parsed, stat.mtimeMs),
      markerless,
    });
    const cached = this.fileStats.get(parsed.name);
    const marked = parsed.marker !== undefined && present.has(parsed.marker);
    if (cached && (parsed.format === 'renamed' || marked)) return ready(cached);
    this.fileStats.delete(parsed.name);
    // The marker before the data: a data stat taken after the marker's sees every write that came
    // before the marker, so a refreshed leftover marker cannot pass off a mid-write size or mtime.
    const marker = marked ? await this.statOf(parsed.marker!) : undefined;
    const stat = await this.statOf(parsed.name);
    if (!stat) return undefined; // forwarded or renamed meanwhile
    if (parsed.format === 'renamed') {
      this.fileStats.set(parsed.name, stat);
      return ready(stat);
    }
    if (marker && markerCommits(marker.mtimeMs, stat.mtimeMs)) {
      this.fileStats.set(parsed.name, stat); // complete: it never changes again
      return ready(stat);
    }
    // No marker (or one left by an earlier event of this name): the hook is still writing, or it
    // died. Hooks are killed long before STALE_TEMP_MS, so then the content is all there will be.
    return this.isStale(parsed.name, stat.mtimeMs, now) ? ready(stat, true) : undefined;
  }

  /**
   * Unfinished for staleMs by the file's mtime and also by this process's monotonic clock
   * since it first saw the file: a machine that slept, or a clock that jumped, must not make a
   * file still being written look abandoned.
   */
  private isStale(name: string, mtimeMs: number, now: number): boolean {
    const seen = this.firstSeen.get(name);
    const monotonic = performance.now();
    if (seen === undefined) this.firstSeen.set(name, monotonic);
    return now - mtimeMs > this.staleMs && seen !== undefined && monotonic - seen > this.staleMs;
  }

  private async statOf(name: string): Promise<FileStat | undefined> {
    try {
      const st = await fs.stat(path.join(this.dir, name));
      return { bytes: st.size, mtimeMs: st.mtimeMs };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Delete a spool file (marker first, so a marker never outlives its data) and forget it. */
  private async remove(file: SpoolFile): Promise<void> {
    if (file.marker) await fs.rm(path.join(this.dir, file.marker), { force: true });
    await fs.rm(file.file, { force: true });
    this.fileStats.delete(file.name);
    this.firstSeen.delete(file.name);
    // Names come back (a reused pid): a new event must not inherit an old one's refusals.
    this.refusals.delete(file.name);
  }

  private async dropStaleTemp(file: string): Promise<void> {
    await fs.rm(file, { force: true });
    this.counts.dropped++;
    this.log.warn(`Removed ${path.basename(file)}, a spool file a hook left half-written (it was killed or crashed); that one event is lost.`);
  }

  /** Not an event: nothing is counted, and only the debug log says so. */
  private async dropOrphanMarker(name: string, now: number): Promise<void> {
    const stat = await this.statOf(name);
    if (!stat || now - stat.mtimeMs <= ORPHAN_MARKER_MS) return;
    await fs.rm(path.join(this.dir, name), { force: true });
    this.log.debug(`Removed ${name}, a spool marker whose data file was already gone.`);
  }

  /** Past spool.max_files or spool.max_bytes, the oldest events go (counted and logged). */
  private async enforceBounds(files: SpoolFile[]): Promise<SpoolFile[]> {
    const { max_files: maxFiles, max_bytes: maxBytes } = this.config.spool;
    let bytes = files.reduce((n, f) => n + f.bytes, 0);
    let first = 0;
    while (first < files.length && (files.length - first > maxFiles || bytes > maxBytes)) {
      await this.remove(files[first]);
      bytes -= files[first].bytes;
      first++;
    }
    if (first > 0) {
      this.counts.dropped += first;
      this.log.warn(
        `The spool ${this.dir} was over its limit (${maxFiles} files / ${maxBytes} bytes): dropped the ${first} oldest events; check that Redis is reachable and the processor keeps up, or raise spool.max_files / spool.max_bytes.`,
      );
    }
    return files.slice(first);
  }

  private async forward(file: SpoolFile): Promise<Outcome> {
    let text: string;
    try {
      text = file.bytes > MAX_FILE_BYTES ? await this.readHead(file) : await fs.readFile(file.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'done'; // another forwarder took it
      throw err;
    }
    const entry = captureEntry(
      { text, hookArg: file.event, fireTimeMs: file.fireMs, route: 'spool', eventsStream: this.config.streams.events, origin: `spool:${file.name}` },
      {
        privacyMode: this.config.privacy.mode,
        scrubSecrets: this.config.privacy.scrub_secrets,
        hashWorkspacePaths: this.config.privacy.hash_workspace_paths,
        maxEntryBytes: this.config.processor.max_entry_bytes,
      },
    );
    try {
      await this.xadd(entry);
    } catch (err) {
      return this.onXaddFailure(file, entry, err as Error);
    }
    if (this.redisDown) {
      this.redisDown = false;
      this.log.info(`Redis accepts spooled events again; forwarding the backlog of ${this.dir}.`);
    }
    // Only now: a crash before this line re-forwards the file with the same event_id. A crash
    // between the marker's delete and the data's leaves a marker-less file with its mtime intact,
    // forwarded again after STALE_TEMP_MS with the same event_id too.
    await this.remove(file);
    this.refusals.delete(file.name);
    if (file.markerless) {
      this.log.warn(`Spool file ${file.name} had no completion marker a minute after its last write (its hook was killed or could not make the marker, or a forwarder stopped between deleting the marker and the file); forwarded it as it was.`);
    }
    if (entry.kind === 'event') this.counts.forwarded++;
    else {
      this.counts.parseFailures++;
      this.log.warn(`Spool file ${file.name} could not be parsed (${entry.reason}); sent to ${this.config.streams.dlq}.`);
    }
    return 'done';
  }

  /** A file too large to read whole: its start, which cannot parse, so it goes to the DLQ with its size. */
  private async readHead(file: SpoolFile): Promise<string> {
    const handle = await fs.open(file.file, 'r');
    try {
      const head = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      return `${head.toString('utf8', 0, bytesRead)}\n[Blueplane: spool file of ${file.bytes} bytes, only the first ${bytesRead} read]`;
    } finally {
      await handle.close();
    }
  }

  private async xadd(entry: CaptureEntry): Promise<void> {
    if (entry.kind === 'event') {
      const flat = Object.entries(entry.fields).flat();
      await this.redis.xadd(this.config.streams.events, 'MAXLEN', '~', String(this.config.streams.events_maxlen), '*', ...flat);
    } else {
      await this.redis.xadd(this.config.streams.dlq, 'MAXLEN', '~', String(this.config.streams.dlq_maxlen), '*', ...entry.fields);
    }
  }

  /**
   * Connection trouble: stop the pass and retry the whole backlog later, in order. A reply error
   * (Redis refuses this entry): retry a few times, then park the file in the DLQ so one bad file
   * cannot hold up the spool forever.
   */
  private async onXaddFailure(file: SpoolFile, entry: CaptureEntry, err: Error): Promise<Outcome> {
    this.counts.failed++;
    if (err.name !== 'ReplyError') {
      if (!this.redisDown) {
        this.redisDown = true;
        this.log.warn(`Cannot forward spooled events to Redis (${err.message}); they stay in ${this.dir} and are retried every ${this.config.spool.scan_interval_ms} ms.`);
      }
      return 'redis_down';
    }
    const refusals = (this.refusals.get(file.name) ?? 0) + 1;
    this.refusals.set(file.name, refusals);
    if (refusals < MAX_REFUSALS) {
      this.log.warn(`Redis refused the event in ${file.name} (${err.message}); retrying at the next scan.`);
      return 'retry_later';
    }
    const original = entry.kind === 'event' ? entry.fields : { raw_dead_letter: JSON.stringify(entry.fields) };
    try {
      await this.redis.xadd(
        this.config.streams.dlq,
        'MAXLEN',
        '~',
        String(this.config.streams.dlq_maxlen),
        '*',
        ...deadLetterFields({
          sourceStream: this.config.streams.events,
          originalMessageId: `spool:${file.name}`,
          originalEventId: entry.eventId,
          originalFields: original,
          errorType: 'processing_error',
          errorMessage: `Redis refused the entry ${refusals} times: ${err.message}`,
          deliveries: refusals,
          firstSeenAt: new Date(file.fireMs).toISOString(),
          canRetry: entry.kind === 'event',
        }),
      );
    } catch (dlqErr) {
      this.log.error(`Could not move ${file.name} to ${this.config.streams.dlq} either (${errorMessage(dlqErr)}); it stays in the spool.`);
      return 'retry_later';
    }
    await this.remove(file);
    this.refusals.delete(file.name);
    this.log.error(`Redis refused the event in ${file.name} ${refusals} times (${err.message}); moved it to ${this.config.streams.dlq}.`);
    return 'done';
  }
}

/**
 * The forwarder as a leader component of the processor: only the leader forwards (one reader of
 * the spool), and it starts once the database and Redis are ready. Wire it with
 * `new TelemetryServer({ config, log, components: [spoolForwarderComponent] })`.
 */
export function spoolForwarderComponent(ctx: Pick<LeaderContext, 'config' | 'log' | 'redis'>): LeaderComponent {
  const forwarder = new SpoolForwarder({ config: ctx.config, redis: ctx.redis, log: ctx.log });
  return {
    name: 'spool-forwarder',
    start: () => forwarder.start(),
    stop: () => forwarder.stop(),
    status: () => {
      const { backlog, forwarded, dropped, parseFailures } = forwarder.stats();
      return { spool: { backlog, forwarded, dropped, parseFailures } };
    },
  };
}
