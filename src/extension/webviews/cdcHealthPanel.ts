import * as vscode from 'vscode';
import type { Config } from '../../config/config';
import { type CdcHealth, readCdcHealth } from '../../processing/cdcHealth';
import { errorMessage } from '../../shared/log';
import { RedisHandle } from '../redisHandle';
import { PanelBase, SingleFlight } from './panelBase';
import { createPanel } from './panelFactory';
import type { CdcFromWebview, CdcToWebview } from './protocol';

export interface CdcHealthPanelDeps {
  extensionUri: vscode.Uri;
  config: () => Config;
}

/** Two samples this far apart give the live publish rate. */
const REFRESH_MS = 2000;

/** Blueplane: CDC Stream Health, refreshed while visible. */
export class CdcHealthPanel extends PanelBase<CdcToWebview, CdcFromWebview> {
  static readonly viewType = 'blueplane.cdcHealth';
  private static current: CdcHealthPanel | undefined;

  private readonly redis: RedisHandle;
  private readonly timer: NodeJS.Timeout;
  private readonly refreshing = new SingleFlight();
  private previous?: CdcHealth;

  static show(deps: CdcHealthPanelDeps): void {
    if (CdcHealthPanel.current) {
      CdcHealthPanel.current.panel.reveal();
      void CdcHealthPanel.current.refresh();
      return;
    }
    CdcHealthPanel.current = new CdcHealthPanel(createPanel(deps.extensionUri, CdcHealthPanel.viewType, 'Blueplane: CDC Stream Health', 'cdcHealth.js'), deps);
  }

  private constructor(
    panel: vscode.WebviewPanel,
    private readonly deps: CdcHealthPanelDeps,
  ) {
    super(panel);
    this.redis = new RedisHandle(deps.config, 'blueplane-extension-cdc');
    this.timer = setInterval(() => {
      if (this.panel.visible) void this.refresh();
    }, REFRESH_MS);
  }

  protected onMessage(_message: CdcFromWebview): Promise<void> {
    // Both `ready` and `refresh` want fresh numbers.
    return this.refresh();
  }

  private refresh(): Promise<void> {
    return this.refreshing.run(async () => {
      try {
        const health = await readCdcHealth(await this.redis.get(), this.deps.config(), this.previous);
        this.previous = health;
        this.post({ type: 'health', health });
      } catch (err) {
        this.post({ type: 'error', error: errorMessage(err) });
      }
    });
  }

  protected onDispose(): void {
    CdcHealthPanel.current = undefined;
    clearInterval(this.timer);
    void this.redis.close();
  }
}
