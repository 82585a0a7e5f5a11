// @ts-check
// Blueplane: Show Dead Letter Queue — a list with inspect, retry, delete and purge. Every action
// goes to the extension, which asks for confirmation where data would be lost.
/** @typedef {import('../src/extension/webviews/protocol').DeadLettersToWebview} DeadLettersToWebview */
/** @typedef {import('../src/extension/webviews/protocol').DeadLettersFromWebview} DeadLettersFromWebview */
/** @typedef {import('../src/extension/webviews/protocol').DeadLetterRow} Row */
// A block of its own: the panel scripts share the page's global scope with media/dom.js.
(() => {
  /** @param {DeadLettersFromWebview} message */
  const send = (message) => post(message);

  /** @type {{ stream?: string, total: number, rows: Row[], refreshedAt?: string, error?: string, busy: boolean }} */
  let state = { total: 0, rows: [], busy: false };

  function view() {
    const retryable = state.rows.filter((r) => r.canRetry).length;
    const parts = [
      h('h1', {}, 'Dead Letter Queue'),
      h('p', { class: 'muted', id: 'subtitle' },
        state.stream ? `${state.stream}: ${fmtNumber(state.total)} entr${state.total === 1 ? 'y' : 'ies'}${state.refreshedAt ? `, refreshed ${fmtTime(state.refreshedAt)}` : ''}` : 'Loading…'),
      h('div', { class: 'toolbar' },
        h('button', { 'data-action': 'refresh', class: 'secondary', disabled: state.busy }, 'Refresh'),
        h('button', { 'data-action': 'retryAll', disabled: state.busy || retryable === 0 }, 'Retry All'),
        h('button', { 'data-action': 'purge', class: 'danger', disabled: state.busy || state.total === 0 }, 'Purge…'),
      ),
    ];
    if (state.error) parts.push(h('p', { class: 'error', role: 'alert' }, state.error));
    if (state.stream && state.rows.length === 0 && !state.error) {
      parts.push(h('p', { id: 'empty' }, 'No dead letters. An event lands here when it cannot be stored after 3 deliveries (bad JSON, missing fields, too large); it keeps the whole original entry so it can be retried.'));
    }
    if (state.rows.length > 0) {
      parts.push(h('div', { class: 'table-wrap' }, h('table', { id: 'letters' },
        h('thead', {}, h('tr', {},
          h('th', {}, 'Queued'), h('th', {}, 'Error'), h('th', {}, 'Event'), h('th', {}, 'Hook'),
          h('th', { class: 'num' }, 'Deliveries'), h('th', {}, 'Message'), h('th', {}, ''))),
        h('tbody', {}, ...state.rows.map((r) => h('tr', { 'data-id': r.id },
          h('td', {}, fmtTime(r.queuedAt), h('div', { class: 'muted mono' }, r.id)),
          h('td', {}, r.errorType),
          h('td', { class: 'mono' }, r.originalEventId),
          h('td', {}, r.hookType),
          h('td', { class: 'num' }, r.deliveries),
          h('td', { class: 'message' }, r.errorMessage),
          h('td', { class: 'actions' },
            h('button', { 'data-action': 'inspect', 'data-id': r.id, class: 'secondary', 'aria-label': `Inspect ${r.id}` }, 'Inspect'),
            h('button', { 'data-action': 'retry', 'data-id': r.id, disabled: state.busy || !r.canRetry, 'aria-label': `Retry ${r.id}`, title: r.canRetry ? 'Put the original entry back on its stream' : 'The original entry cannot be recovered' }, 'Retry'),
            h('button', { 'data-action': 'delete', 'data-id': r.id, class: 'danger', disabled: state.busy, 'aria-label': `Delete ${r.id}` }, 'Delete'),
          ),
        ))),
      )));
      if (state.total > state.rows.length) parts.push(h('p', { class: 'muted' }, `Showing the newest ${state.rows.length} of ${fmtNumber(state.total)}.`));
    }
    render(...parts);
  }

  onMessage((/** @type {DeadLettersToWebview} */ m) => {
    if (m.type === 'letters') state = { ...state, stream: m.stream, total: m.total, rows: m.rows, refreshedAt: m.refreshedAt, error: undefined };
    else if (m.type === 'error') state = { ...state, error: m.error };
    else if (m.type === 'busy') state = { ...state, busy: m.busy };
    view();
  });

  onAction((action, id) => {
    if ((action === 'inspect' || action === 'retry' || action === 'delete') && id) send({ type: action, id });
    else if (action === 'refresh' || action === 'retryAll' || action === 'purge') send({ type: action });
  });

  view();
  send({ type: 'ready' });
})();
