// Read what the processor wrote with a different SQLite (better-sqlite3, its own SQLite build)
// and inflate event_data with a different zlib (Python's), so the file is proven valid for
// other tools (DESIGN.md §7).
import { execFileSync } from 'node:child_process';
import Database from 'better-sqlite3';

export function openWithOtherSqlite(file: string): Database.Database {
  return new Database(file, { readonly: true, fileMustExist: true });
}

/** Row count with the Debian sqlite3 CLI, when it is installed (CI installs it). */
export function countWithSqliteCli(file: string, sql = 'SELECT count(*) FROM raw_traces'): number | undefined {
  try {
    return Number(execFileSync('sqlite3', ['-readonly', file, sql], { encoding: 'utf8' }).trim());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

const PY_INFLATE = `
import sys, json, zlib, base64
items = json.load(sys.stdin)
out = []
for blob, zdict in items:
    d = zlib.decompressobj(zdict=base64.b64decode(zdict)) if zdict else zlib.decompressobj()
    data = d.decompress(base64.b64decode(blob)) + d.flush()
    out.append(data.decode('utf-8'))
json.dump(out, sys.stdout)
`;

/** Inflate blobs with Python's zlib (a different implementation than Node's). */
export function inflateWithPython(items: Array<{ blob: Buffer; dictionary: Buffer | null }>): string[] {
  const input = JSON.stringify(items.map((i) => [i.blob.toString('base64'), i.dictionary ? i.dictionary.toString('base64') : null]));
  const out = execFileSync('python3', ['-c', PY_INFLATE], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(out) as string[];
}
