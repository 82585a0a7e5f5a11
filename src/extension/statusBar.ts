import * as vscode from 'vscode';
import type { ProcessorStatus } from '../processing/status';
import { COMMANDS } from './commandIds';
import { HOOKS_UNKNOWN, type HooksState } from './hooksState';
import type { SupervisorSnapshot } from './processSupervisor';
import type { ExtensionSettings } from './settings';
import { renderStatus, type StatusView } from './statusView';
import { NO_TREND, StatusTrend, type Trend } from './statusTrend';

/**
 * The one owner of the Blueplane status bar item (gitlens' statusBarController). It collects
 * what the supervisor, the processor and the hooks check report and renders it through the
 * pure renderStatus().
 */
export class StatusBarController implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly trend = new StatusTrend();
  private readonly ticker: NodeJS.Timeout;
  private processor?: ProcessorStatus;
  private supervisor: SupervisorSnapshot = { state: 'idle', crashes: 0 };
  private hooks: HooksState = HOOKS_UNKNOWN;
  private trendNow: Trend = NO_TREND;
  private view?: StatusView;

  constructor(private settings: ExtensionSettings) {
    this.item = vscode.window.createStatusBarItem('blueplane.status', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'Blueplane Telemetry';
    this.item.command = COMMANDS.showMenu;
    // Status arrives every second while the processor lives; this tick notices when it stops
    // arriving (a hung or killed child) and keeps "flushed 3 s ago" honest.
    this.ticker = setInterval(() => this.render(), 5000);
    this.render();
  }

  /** The latest rendering, for the quick pick and the test API. */
  current(): StatusView {
    return this.view ?? this.render();
  }

  setProcessorStatus(status: ProcessorStatus): void {
    this.processor = status;
    this.trendNow = this.trend.observe(status, Date.now());
    this.render();
  }

  setSupervisor(snapshot: SupervisorSnapshot): void {
    this.supervisor = snapshot;
    this.render();
  }

  setHooks(state: HooksState): void {
    this.hooks = state;
    this.render();
  }

  setSettings(settings: ExtensionSettings): void {
    this.settings = settings;
    this.render();
  }

  private render(): StatusView {
    const now = Date.now();
    const view = renderStatus({
      processor: this.processor,
      supervisor: this.supervisor,
      hooks: this.hooks,
      hooksExpected: this.settings.hooksAutoInstall !== 'never',
      trend: this.processor ? this.trendNow : this.trend.current(now),
      counter: this.settings.counter,
      now,
    });
    this.view = view;
    this.item.text = view.text;
    const tooltip = new vscode.MarkdownString(view.tooltip, true);
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: view.ariaLabel, role: 'button' };
    this.item.backgroundColor =
      view.severity === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : view.severity === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    if (this.settings.statusBarEnabled) this.item.show();
    else this.item.hide();
    return view;
  }

  dispose(): void {
    clearInterval(this.ticker);
    this.item.dispose();
  }
}
