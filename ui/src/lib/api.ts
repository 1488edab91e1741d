// Typed calls to the shell's Tauri commands. Types come from bindings.ts, generated from Rust.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { AppStatus, FindingsPage, FindingsQuery } from './bindings';

export const appStatus = () => invoke<AppStatus>('app_status');
export const openWorkspace = (path: string) => invoke<AppStatus>('open_workspace', { path });
export const openDemo = () => invoke<AppStatus>('open_demo');
export const chooseWorkspace = (create: boolean) => invoke<AppStatus>('choose_workspace', { create });
export const findings = (query: FindingsQuery) => invoke<FindingsPage>('findings', { query });

/** The menu can change the open workspace behind the page's back. */
export function onWorkspaceChanged(handler: (s: AppStatus) => void): Promise<UnlistenFn> {
  return listen<AppStatus>('workspace-changed', (e) => handler(e.payload));
}
