// A minimal test runner for the end-to-end suites: runs tests in order, keeps going
// after a failure, and ends with the plain "N passed, N failed" line CI reads.
import assert from 'node:assert/strict';

const tests = [];
export function test(name, fn) {
  tests.push({ name, fn });
}
export { assert };

export async function runAll(suite, { before, after } = {}) {
  let passed = 0;
  let failed = 0;
  try {
    if (before) await before();
    // TEST_ONLY=regex runs the matching tests alone (while working on one).
    const only = process.env.TEST_ONLY ? new RegExp(process.env.TEST_ONLY) : null;
    for (const t of tests.filter((t) => !only || only.test(t.name))) {
      const start = Date.now();
      try {
        await t.fn();
        passed++;
        console.log(`  ok   ${t.name} (${Date.now() - start} ms)`);
      } catch (e) {
        failed++;
        console.log(`  FAIL ${t.name}\n       ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n       ')}`);
      }
    }
  } catch (e) {
    failed++;
    console.log(`  FAIL ${suite} setup: ${e?.stack ?? e}`);
  } finally {
    if (after) await after().catch((e) => console.log(`  (cleanup: ${e})`));
  }
  console.log(`${suite}: ${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

export async function waitForPort(port, ms = 20000) {
  const net = await import('node:net');
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise((res) => {
      const s = net.connect(port, '127.0.0.1', () => (s.end(), res(true)));
      s.on('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on port ${port} after ${ms} ms`);
}
