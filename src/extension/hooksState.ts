// What the status bar and Verify Pipeline say about Cursor's hooks, derived from the installer's
// hooksStatus(). Pure, so the wording and the warning rules are unit-tested.
import type { HooksStatus } from '../capture/hooksInstaller';
import type { CheckResult, VerifyReport } from '../processing/verify';

export type HooksKind = 'installed' | 'partial' | 'missing' | 'error' | 'unknown';

export interface HooksState {
  kind: HooksKind;
  /** One sentence for the tooltip and the verify report. */
  detail: string;
}

export const HOOKS_UNKNOWN: HooksState = { kind: 'unknown', detail: 'not checked yet' };

export function summariseHooks(status: HooksStatus): HooksState {
  if (status.error) return { kind: 'error', detail: status.error };
  if (status.hooked.length === 0) {
    return { kind: 'missing', detail: `no Blueplane hooks in ${status.hooksFile}` };
  }
  const scriptPresent = status.mode === 'direct' ? status.scripts.direct : status.mode === 'spool' ? status.scripts.spool : status.scripts.spool || status.scripts.direct;
  if (!scriptPresent) {
    return { kind: 'partial', detail: `${status.hooksFile} points at a hook script that is gone from BLUEPLANE_HOME/hooks` };
  }
  const outdated = status.outdated ?? [];
  if (outdated.length > 0) {
    return { kind: 'partial', detail: `${outdated.length} hooks in ${status.hooksFile} write to another spool folder than config.yaml names (it changed since they were installed)` };
  }
  if (status.missing.length > 0) {
    return { kind: 'partial', detail: `${status.hooked.length} of ${status.hooked.length + status.missing.length} events hooked in ${status.hooksFile} (missing: ${status.missing.join(', ')})` };
  }
  const twice = status.alsoInstalledIn.length > 0 ? `; also installed in ${status.alsoInstalledIn.join(', ')}` : '';
  return { kind: 'installed', detail: `${status.hooked.length} events hooked (${status.mode} mode) in ${status.hooksFile}${twice}` };
}

/** The verify report's line about the hooks. */
export function hooksCheck(state: HooksState): Omit<CheckResult, 'ms'> {
  const name = 'Cursor hooks installed';
  switch (state.kind) {
    case 'installed':
      return { name, state: 'pass', detail: state.detail };
    case 'partial':
    case 'missing':
      return { name, state: 'fail', detail: state.detail, fix: 'Run Blueplane: Install Cursor Hooks (or `blueplane hooks install`).' };
    case 'error':
      return { name, state: 'fail', detail: state.detail, fix: 'Fix or move hooks.json, then run Blueplane: Install Cursor Hooks.' };
    case 'unknown':
      return { name, state: 'skip', detail: state.detail };
  }
}

/**
 * Add the hooks line to a verify report that lacks one. The CLI's report carries it once the
 * capture layer's check is wired into `blueplane verify`; until then the extension supplies it,
 * and it never appears twice.
 */
export function withHooksCheck(report: VerifyReport, state: HooksState): VerifyReport {
  if (report.checks.some((c) => /hook/i.test(c.name))) return report;
  const checks = [...report.checks, { ...hooksCheck(state), ms: 0 }];
  return { ...report, checks, ok: checks.every((c) => c.state !== 'fail') };
}
