import type * as vscode from 'vscode';

/**
 * What every Blueplane panel shares: it owns its disposables, posts only after its script said
 * "ready" (earlier messages would be lost), and cleans up when the user closes it.
 */
export abstract class PanelBase<ToWebview, FromWebview extends { type: string }> {
  protected readonly disposables: vscode.Disposable[] = [];
  private ready = false;

  protected constructor(protected readonly panel: vscode.WebviewPanel) {
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    panel.webview.onDidReceiveMessage(
      (message: FromWebview) => {
        if (message.type === 'ready') this.ready = true;
        void this.onMessage(message);
      },
      null,
      this.disposables,
    );
  }

  /** A message from the panel's script (`ready` included: the webview is new or was re-shown). */
  protected abstract onMessage(message: FromWebview): Promise<void> | void;

  /** Release what the panel holds beyond its disposables (timers, connections). */
  protected abstract onDispose(): void;

  protected post(message: ToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private dispose(): void {
    this.onDispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** Runs `work` unless it is already running; callers meanwhile share that run (timer + click). */
export class SingleFlight {
  private current?: Promise<void>;

  run(work: () => Promise<void>): Promise<void> {
    this.current ??= work().finally(() => {
      this.current = undefined;
    });
    return this.current;
  }
}
