// The browser tests' backend: replays answers recorded from the real core
// (`truce ui-fixture`, see crates/truce-core/src/ui_fixture.rs). A query that was not
// recorded is an error, so the fake can never invent data.
export function installFakeBackend(fixture) {
  const key = (q) => JSON.stringify([q.offset, q.limit, q.text ?? null, [...q.severities].sort(), q.include_closed]);
  const pages = new Map(fixture.findings.map((f) => [key(f.query), f.page]));
  let status = fixture.welcome;
  const callbacks = new Map();
  let nextId = 1;
  window.__fakeCalls = [];
  window.__TAURI_INTERNALS__ = {
    metadata: { currentWindow: { label: 'main' }, currentWebview: { windowLabel: 'main', label: 'main' } },
    transformCallback(cb) {
      const id = nextId++;
      callbacks.set(id, cb);
      return id;
    },
    unregisterCallback(id) {
      callbacks.delete(id);
    },
    async invoke(cmd, args) {
      window.__fakeCalls.push({ cmd, args });
      switch (cmd) {
        case 'app_status':
          return status;
        case 'open_demo':
          status = fixture.open_demo;
          return status;
        case 'findings': {
          const page = pages.get(key(args.query));
          if (!page) throw new Error(`no recorded answer for findings ${key(args.query)}`);
          return page;
        }
        case 'plugin:event|listen':
          return nextId++;
        case 'plugin:event|unlisten':
          return null;
        default:
          throw new Error(`the fake backend has no command ${cmd}`);
      }
    },
  };
}
