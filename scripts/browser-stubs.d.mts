// Types of ./browser-stubs.mjs (imported by web/vite.config.ts and vitest.config.ts, which tsc checks).
import type { Plugin as EsbuildPlugin } from 'esbuild';
import type { Alias, Plugin as VitePlugin } from 'vite';

export declare const BROWSER_STUBS: Record<string, string>;
export declare const SOURCE_ENTRIES: Record<string, [string, string]>;
export declare function browserStubFor(specifier: string, importer: string | undefined): string | undefined;
export declare function esbuildBrowserStubs(): EsbuildPlugin;
export declare function viteBrowserStubs(): VitePlugin;
export declare function sourceAliases(platform: 'browser' | 'node'): Alias[];
