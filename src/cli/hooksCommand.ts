// `blueplane hooks install | uninstall | status`: the CLI face of src/capture/hooksInstaller.ts.
import type { Command } from 'commander';
import type { Config } from '../config/config';
import { hooksStatus, installHooks, uninstallHooks, type HooksStatus } from '../capture/hooksInstaller';
import { fail, formatBytes, type GlobalOptions, loadCliConfig, printJson } from './common';

interface ScopeOptions {
  project?: string;
}

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function describeStatus(s: HooksStatus): string[] {
  const lines = [`hooks file   ${s.hooksFile}${s.exists ? '' : ' (does not exist)'}`];
  if (s.error) return [...lines, `problem      ${s.error}`];
  lines.push(
    `mode         ${s.mode === 'none' ? 'not installed' : s.mode}`,
    `hooked       ${s.hooked.length} of ${s.hooked.length + s.missing.length} events${s.missing.length > 0 && s.hooked.length > 0 ? ` (missing: ${s.missing.join(', ')})` : ''}`,
    `your hooks   ${s.otherHooks} other entr${s.otherHooks === 1 ? 'y' : 'ies'}, left as they are`,
    `scripts      spool hook ${s.scripts.spool ? 'installed' : 'absent'}, direct hook ${s.scripts.direct ? 'installed' : 'absent'}, settings ${s.scripts.settings ? 'written' : 'absent'}`,
    `spool        ${s.spool.files} event file(s), ${formatBytes(s.spool.bytes)} in ${s.spool.dir}` +
      (s.spool.oldestAgeMs !== undefined ? `, oldest ${(s.spool.oldestAgeMs / 1000).toFixed(1)} s old` : '') +
      (s.spool.tempFiles > 0 ? `, ${s.spool.tempFiles} being written` : ''),
  );
  for (const other of s.alsoInstalledIn) lines.push(`warning      also installed in ${other}: Cursor runs both.`);
  if (s.outdated && s.outdated.length > 0) lines.push(`warning      ${s.outdated.length} hook(s) write to another spool folder than config.yaml names; run \`blueplane hooks install\` again.`);
  if (s.spool.files > 0 && (s.spool.oldestAgeMs ?? 0) > 60_000) {
    lines.push('warning      spooled events are over a minute old: is the processor running (`blueplane start`) and Redis reachable?');
  }
  return lines;
}

/**
 * Adds `hooks install|uninstall|status` to the program. `loadConfigFn` gives the config (the
 * caller decides where it comes from); by default the global --config option is honoured.
 */
export function registerHooksCommands(program: Command, loadConfigFn?: () => Config): void {
  const config = loadConfigFn ?? (() => loadCliConfig(program.opts<GlobalOptions>()));
  const hooks = program.command('hooks').description("install, remove or inspect the capture hooks in Cursor's hooks.json");

  hooks
    .command('install')
    .description('install the hooks for every Cursor agent event (user hooks.json, or a project with --project)')
    .option('--direct', 'hooks write straight to Redis with Node (Windows, remote Redis); default: the spool hook')
    .option('--project <dir>', "install into <dir>/.cursor/hooks.json instead of ~/.cursor/hooks.json")
    .option('--node <path>', 'Node executable for --direct (default: node on PATH)')
    .option('--editor-executable <path>', "for --direct without Node: the editor's executable, run with ELECTRON_RUN_AS_NODE=1")
    .action((opts: ScopeOptions & { direct?: boolean; node?: string; editorExecutable?: string }) => {
      try {
        const result = installHooks({
          config: config(),
          project: opts.project,
          direct: opts.direct,
          nodePath: opts.node,
          editorExecutable: opts.editorExecutable,
        });
        if (result.backupFile) out(`Backed up ${result.hooksFile} to ${result.backupFile}.`);
        out(
          result.changed
            ? `Installed ${result.mode} hooks for ${result.events.length} events in ${result.hooksFile}.`
            : `${result.hooksFile} already has the ${result.mode} hooks for all ${result.events.length} events; nothing changed.`,
        );
        out(`Hook scripts: ${result.scripts.join(', ')}; settings: ${result.settingsFile}.`);
        if (result.mode === 'spool') out('Spooled events reach Redis while the processor runs (the extension, or `blueplane start`).');
        for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
      } catch (err) {
        fail(err);
      }
    });

  hooks
    .command('uninstall')
    .description("remove Blueplane's hooks from hooks.json (your own hooks stay)")
    .option('--project <dir>', 'remove them from <dir>/.cursor/hooks.json')
    .action((opts: ScopeOptions) => {
      try {
        const result = uninstallHooks({ config: config(), project: opts.project });
        if (result.backupFile) out(`Backed up ${result.hooksFile} to ${result.backupFile}.`);
        out(
          result.changed
            ? `Removed Blueplane hooks for ${result.removed.length} events from ${result.hooksFile}.`
            : `${result.hooksFile} has no Blueplane hooks; nothing changed.`,
        );
      } catch (err) {
        fail(err);
      }
    });

  hooks
    .command('status')
    .description('which events are hooked, in which mode, and how many events wait in the spool')
    .option('--project <dir>', 'check <dir>/.cursor/hooks.json')
    .option('--json', 'print JSON')
    .action((opts: ScopeOptions & { json?: boolean }) => {
      try {
        const status = hooksStatus({ config: config(), project: opts.project });
        if (opts.json) return printJson(status);
        for (const line of describeStatus(status)) out(line);
        if (status.error) process.exitCode = 1;
      } catch (err) {
        fail(err);
      }
    });
}
