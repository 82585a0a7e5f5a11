// config.yaml for the extension: read on every use (cheap; edits apply without a reload), with
// each problem reported once rather than on every status tick.
import { type Config, defaultConfig, loadConfig } from '../config/config';
import { errorMessage, type Logger } from '../shared/log';

export function makeConfigSource(log: Logger, showError: (message: string) => void): () => Config {
  const reported = new Set<string>();
  const once = (message: string, report: (m: string) => void) => {
    if (reported.has(message)) return;
    reported.add(message);
    report(message);
  };
  return () => {
    try {
      const loaded = loadConfig();
      for (const w of loaded.warnings) once(w, (m) => log.warn(m));
      return loaded.config;
    } catch (err) {
      // An unreadable config.yaml stops the processor, which says so in the status bar; the
      // commands fall back to the defaults so Open Config and Show Logs still work.
      once(errorMessage(err), (m) => {
        log.error(m);
        showError(m);
      });
      return defaultConfig();
    }
  };
}
