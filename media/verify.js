// @ts-check
// Blueplane: Verify Pipeline — renders the report the extension sends (one row per check).
/** @typedef {import('../src/extension/webviews/protocol').VerifyToWebview} VerifyToWebview */
/** @typedef {import('../src/extension/webviews/protocol').VerifyFromWebview} VerifyFromWebview */
/** @typedef {import('../src/processing/verify').VerifyReport} VerifyReport */
// A block of its own: the panel scripts share the page's global scope with media/dom.js.
(() => {
  /** @param {VerifyFromWebview} message */
  const send = (message) => post(message);

  const LABEL = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };

  /** @param {{ running: boolean, report?: VerifyReport, finishedAt?: string, error?: string }} state */
  function view(state) {
    const toolbar = h('div', { class: 'toolbar' },
      h('button', { 'data-action': 'rerun', disabled: state.running }, state.running ? 'Running…' : 'Run Again'),
      h('button', { 'data-action': 'copy', class: 'secondary', disabled: !state.report }, 'Copy Report'),
      h('span', { class: 'spacer' }),
      state.finishedAt ? h('span', { class: 'muted' }, `Finished ${fmtTime(state.finishedAt)}`) : null,
    );
    const parts = [h('h1', {}, 'Verify Pipeline'),
      h('p', { class: 'muted' }, 'Each check of the pipeline, and a probe event sent through it end to end: stream → processor → durable SQLite row → CDC.'),
      toolbar];
    if (state.error) parts.push(h('p', { class: 'error', role: 'alert' }, state.error));
    if (state.running && !state.report) parts.push(h('p', { class: 'muted' }, 'Running the checks… the probe takes up to a few seconds.'));
    const report = state.report;
    if (report) {
      const failed = report.checks.filter((c) => c.state === 'fail').length;
      const warned = report.checks.filter((c) => c.state === 'warn').length;
      parts.push(h('p', { class: `summary ${report.ok ? 'ok' : 'bad'}`, id: 'summary' },
        report.ok
          ? `Pipeline OK: ${report.checks.length} checks, ${warned} warning(s), in ${report.totalMs} ms.`
          : `${failed} of ${report.checks.length} checks failed (${report.totalMs} ms).`));
      parts.push(h('table', { id: 'checks' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Result'), h('th', {}, 'Check'), h('th', { class: 'num' }, 'Time'), h('th', {}, 'Detail'))),
        h('tbody', {}, ...report.checks.map((c) => h('tr', { 'data-state': c.state },
          h('td', {}, h('span', { class: `badge ${c.state}` }, LABEL[c.state])),
          h('td', {}, c.name),
          h('td', { class: 'num' }, `${c.ms} ms`),
          h('td', { class: 'message' }, c.detail, c.fix && c.state !== 'pass' ? h('div', { class: 'fix' }, `Fix: ${c.fix}`) : null),
        ))),
      ));
    }
    render(...parts);
  }

  /** @type {{ running: boolean, report?: VerifyReport, finishedAt?: string, error?: string }} */
  let state = { running: true };

  onMessage((/** @type {VerifyToWebview} */ m) => {
    if (m.type === 'running') state = { ...state, running: true, error: undefined };
    else if (m.type === 'report') state = { running: false, report: m.report, finishedAt: m.finishedAt };
    else if (m.type === 'failed') state = { ...state, running: false, error: m.error };
    view(state);
  });

  onAction((action) => {
    if (action === 'rerun') send({ type: 'rerun' });
    else if (action === 'copy') send({ type: 'copy' });
  });

  view(state);
  send({ type: 'ready' });
})();
