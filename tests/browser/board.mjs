// The planning board, on the real core through the bridge.
import { assert, test } from '../lib/harness.mjs';

export function registerBoardTests(ctx) {
  void ctx;
  void assert;
  void test;
}
