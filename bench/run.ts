// `npm run bench`: prints figures, asserts nothing (benchmarks are not tests).
// Options: --events N (default 150000: enough for a database past 200 MB), --compare-events N,
// --only pipeline|slowpath|hooks.
import { benchPipeline } from './pipeline';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

async function main(): Promise<void> {
  const only = arg('only');
  const log = (line: string) => process.stderr.write(line + '\n');
  if (!only || only === 'pipeline') {
    const count = Number(arg('events') ?? 150_000);
    const f = await benchPipeline(count, log);
    const lines = [
      '',
      `Fast path, stream → durable rows (${f.events} events, avg ${f.avgEventBytes} bytes of JSON each)`,
      `  sustained throughput     ${f.eventsPerSec.toFixed(0)} events/s to durable rows (${f.readPerSec.toFixed(0)} events/s read and written before the last flush)`,
      `  batch of 100, P50 / P95  ${f.batchP50Ms?.toFixed(2)} ms / ${f.batchP95Ms?.toFixed(2)} ms SQLite transaction; ${f.batchEndToEndP50Ms?.toFixed(2)} ms / ${f.batchEndToEndP95Ms?.toFixed(2)} ms from dispatch (encode on a worker + insert) (last 1000 batches)`,
      `  compression ratio        ${f.compressionRatio?.toFixed(2)}x stored (plain zlib 6 on the same events: ${f.plainZlibRatio.toFixed(2)}x)`,
      `  flush share of wall time ${pct(f.flushShare)} over ${f.flushes.length} flushes`,
      `  database size            ${(f.databaseBytes / 1e6).toFixed(0)} MB`,
      `  peak RSS (processor)     ${f.peakRssMb.toFixed(0)} MB`,
      `  CPU over ${f.wallSeconds.toFixed(1)} s wall      processor ${f.processorCpuSeconds.toFixed(1)} s, redis-server ${f.redisCpuSeconds.toFixed(1)} s (2 cores = ${(2 * f.wallSeconds).toFixed(1)} s)`,
      '  flush time against database size:',
    ];
    const buckets = new Map<number, number[]>();
    for (const fl of f.flushes) {
      const b = Math.floor(fl.bytes / 25e6) * 25;
      buckets.set(b, [...(buckets.get(b) ?? []), fl.ms]);
    }
    for (const [mb, times] of [...buckets].sort((a, b) => a[0] - b[0])) {
      const sorted = times.sort((a, b) => a - b);
      lines.push(`    ${String(mb).padStart(4)}-${mb + 25} MB: ${times.length} flushes, median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms`);
    }
    process.stdout.write(lines.join('\n') + '\n');
  }
  if (!only || only === 'slowpath') {
    // Does the slow path slow the fast path? The same corpus with the workers off and on,
    // alternated so machine noise hits both alike.
    const count = Number(arg('compare-events') ?? 20_000);
    const rates: Record<'off' | 'on', number[]> = { off: [], on: [] };
    for (let round = 0; round < 2; round++) {
      for (const mode of ['off', 'on'] as const) {
        const f = await benchPipeline(count, log, { slowPath: mode === 'on' });
        rates[mode].push(f.readPerSec);
      }
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
    process.stdout.write(
      `\nSlow-path workers and the fast path (${count} events, 2 rounds each, alternated)\n` +
        `  fast path with workers off  ${rates.off.map((r) => r.toFixed(0)).join(', ')} events/s\n` +
        `  fast path with workers on   ${rates.on.map((r) => r.toFixed(0)).join(', ')} events/s\n` +
        `  ratio on/off (medians)      ${(median(rates.on) / median(rates.off)).toFixed(2)}\n`,
    );
  }
  if (!only || only === 'hooks') {
    try {
      // Loaded lazily: the hook benchmark lives with the capture layer.
      const hooksModule = './hooks';
      const { benchHooks } = (await import(hooksModule)) as { benchHooks: () => Promise<void> };
      await benchHooks();
    } catch (err) {
      process.stdout.write(`\nHook benchmark unavailable: ${(err as Error).message}\n`);
    }
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
