// One build script for every bundle (see STYLE.md: esbuild only bundles, `tsc --noEmit` type-checks).
// Bundles are CommonJS for Node: the extension host (Cursor's Electron or code-server's Node) and the
// CLI/processor share the same code; `vscode` stays external because the host provides it.
import * as esbuild from 'esbuild';
import { copyFile, mkdir, chmod } from 'node:fs/promises';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  external: ['vscode'],
};

const entries = [
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' },
  { entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  // Worker thread of the processor: parses and compresses batches off the main thread.
  { entryPoints: ['src/processing/fastPath/encodeWorker.ts'], outfile: 'dist/encodeWorker.js' },
  // The direct hook is started once per agent event, so it must load fast: it is bundled alone.
  { entryPoints: ['src/capture/directHook.ts'], outfile: 'dist/hook.js', banner: { js: '#!/usr/bin/env node' } },
];

async function copyAssets() {
  await mkdir('dist', { recursive: true });
  // sql.js finds its WebAssembly next to the bundle through `locateFile`.
  await copyFile('node_modules/sql.js/dist/sql-wasm.wasm', 'dist/sql-wasm.wasm');
  await copyFile('src/capture/spoolHook.sh', 'dist/spool-hook.sh');
  await chmod('dist/cli.js', 0o755).catch(() => undefined);
  await chmod('dist/hook.js', 0o755).catch(() => undefined);
}

if (watch) {
  const contexts = await Promise.all(entries.map((e) => esbuild.context({ ...common, ...e })));
  await copyAssets();
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(entries.map((e) => esbuild.build({ ...common, ...e })));
  await copyAssets();
}
