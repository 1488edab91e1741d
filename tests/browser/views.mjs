// The Windows and Dashboard views, on the real core through the bridge.
import { assert, test } from '../lib/harness.mjs';

export function registerViewTests(ctx) {
  void ctx;
  void assert;
  void test;
}
