// Typed calls to the shell's Tauri commands. Types come from bindings.ts, generated from Rust.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import { failure } from './errors';
import type { AppStatus, CommandAnswers, CommandRequests, DownloadProgress, FindingsPage, FindingsQuery, ImportOutcome, ImportProgress, SyncReport } from './bindings';

export const appStatus = () => invoke<AppStatus>('app_status');
export const openWorkspace = (path: string) => invoke<AppStatus>('open_workspace', { path });
export const openDemo = () => invoke<AppStatus>('open_demo');
export const chooseWorkspace = (create: boolean) => invoke<AppStatus>('choose_workspace', { create });
export const findings = (query: FindingsQuery) => invoke<FindingsPage>('findings', { query });

/** The menu can change the open workspace behind the page's back. */
export function onWorkspaceChanged(handler: (s: AppStatus) => void): Promise<UnlistenFn> {
  return listen<AppStatus>('workspace-changed', (e) => handler(e.payload));
}

export const importFiles = (paths: string[]) => invoke<ImportOutcome[]>('import_files', { paths });
export const chooseAndImport = () => invoke<ImportOutcome[]>('choose_and_import');

export const onImportProgress = (handler: (p: ImportProgress) => void) =>
  listen<ImportProgress>('import-progress', (e) => handler(e.payload));
/** Also fires for imports the page did not start: a file dropped on the window, the menu. */
export const onImportFinished = (handler: (o: ImportOutcome[]) => void) =>
  listen<ImportOutcome[]>('import-finished', (e) => handler(e.payload));

/** A calendar URL being read before its import (the shell's `download-progress`). */
export const onDownloadProgress = (handler: (p: DownloadProgress) => void) =>
  listen<DownloadProgress>('download-progress', (e) => handler(e.payload));
/** Stops the download that is running; its command then fails with code `cancelled`. */
export const cancelDownload = () => invoke<void>('cancel_download');

/** Files dragged over the window (Tauri's own drag-and-drop events). */
export function onFileDrag(handler: (over: boolean) => void): Promise<UnlistenFn[]> {
  return Promise.all([
    listen('tauri://drag-enter', () => handler(true)),
    listen('tauri://drag-leave', () => handler(false)),
    listen('tauri://drag-drop', () => handler(false)),
  ]);
}

/** One of the core's workspace commands (crates/truce-facade/src/commands.rs), typed from its table. */
export function call<K extends keyof CommandRequests>(name: K, request: CommandRequests[K]): Promise<CommandAnswers[K]> {
  return invoke<CommandAnswers[K]>(name, request as unknown as Record<string, unknown>).catch((e) => {
    throw failure(e);
  });
}

/** Keeps this laptop's device token for the workspace's hub in the OS keyring (the shell's). */
export const hubLogin = (token: string) =>
  invoke<void>('hub_login', { token }).catch((e) => {
    throw failure(e);
  });
/** Push, then pull and merge (the shell's: it needs the network and the keyring). */
export const hubSync = () =>
  invoke<SyncReport>('hub_sync').catch((e) => {
    throw failure(e);
  });
/** After a sync merged others' changes: views reload. */
export const onHubSynced = (handler: (r: SyncReport) => void) => listen<SyncReport>('hub-synced', (e) => handler(e.payload));
