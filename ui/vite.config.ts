import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { readFileSync } from 'node:fs';

// The page is served with the same Content-Security-Policy as the desktop app, so
// browser tests catch what the app's CSP would block.
const tauriConf = JSON.parse(readFileSync(new URL('../src-tauri/tauri.conf.json', import.meta.url), 'utf8'));
// The board benchmark lets the page fetch from the test bridge directly (TRUCE_BRIDGE_ORIGIN):
// a Playwright binding would add seconds of its own to moving 10,000 cards.
const bridge = process.env.TRUCE_BRIDGE_ORIGIN;
const tauriCsp: string = tauriConf.app.security.csp;
const csp = bridge ? tauriCsp.replace('connect-src ', `connect-src ${bridge} `) : tauriCsp;

export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { headers: { 'Content-Security-Policy': csp } },
  build: { target: 'safari16', outDir: 'dist', emptyOutDir: true },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
});
