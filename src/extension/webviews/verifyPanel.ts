import * as vscode from 'vscode';
import { formatReport, type VerifyReport } from '../../processing/verify';
import { errorMessage } from '../../shared/log';
import { PanelBase, SingleFlight } from './panelBase';
import { createPanel } from './panelFactory';
import type { VerifyFromWebview, VerifyToWebview } from './protocol';

export interface VerifyPanelDeps {
  extensionUri: vscode.Uri;
  /** Runs every check, with the end-to-end probe. */
  runVerify: () => Promise<VerifyReport>;
}

/** Blueplane: Verify Pipeline. One panel per window; showing it again runs the checks again. */
export class VerifyPanel extends PanelBase<VerifyToWebview, VerifyFromWebview> {
  static readonly viewType = 'blueplane.verify';
  private static current: VerifyPanel | undefined;

  private readonly running = new SingleFlight();
  private isRunning = false;
  private lastReport?: { report: VerifyReport; finishedAt: string };

  static show(deps: VerifyPanelDeps): void {
    if (VerifyPanel.current) {
      VerifyPanel.current.panel.reveal();
      void VerifyPanel.current.run();
      return;
    }
    VerifyPanel.current = new VerifyPanel(createPanel(deps.extensionUri, VerifyPanel.viewType, 'Blueplane: Verify Pipeline', 'verify.js'), deps);
  }

  private constructor(
    panel: vscode.WebviewPanel,
    private readonly deps: VerifyPanelDeps,
  ) {
    super(panel);
    // Start at once; the result is posted when the script has said it is ready.
    void this.run();
  }

  protected onMessage(message: VerifyFromWebview): void {
    switch (message.type) {
      case 'ready':
        if (this.isRunning) this.post({ type: 'running', startedAt: new Date().toISOString() });
        else if (this.lastReport) this.post({ type: 'report', ...this.lastReport });
        break;
      case 'rerun':
        void this.run();
        break;
      case 'copy':
        if (this.lastReport) {
          void vscode.env.clipboard.writeText(formatReport(this.lastReport.report)).then(() => vscode.window.setStatusBarMessage('Blueplane: report copied', 3000));
        }
        break;
    }
  }

  /** Run the checks; a second request while they run joins the first. */
  private run(): Promise<void> {
    return this.running.run(async () => {
      this.isRunning = true;
      this.post({ type: 'running', startedAt: new Date().toISOString() });
      try {
        this.lastReport = { report: await this.deps.runVerify(), finishedAt: new Date().toISOString() };
        this.post({ type: 'report', ...this.lastReport });
      } catch (err) {
        this.post({ type: 'failed', error: errorMessage(err) });
      } finally {
        this.isRunning = false;
      }
    });
  }

  protected onDispose(): void {
    VerifyPanel.current = undefined;
  }
}
