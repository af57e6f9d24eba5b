// Loads the Wasm core (inlined as base64 at build time, so Node and browsers need no file or network access)
// through @assemblyscript/loader, and types its exports. Every pointer is a byte offset into the module's
// one linear memory; the memory is owned by TypeScript through the Arena (./arena.ts).
import { instantiateSync } from '@assemblyscript/loader';
import { WASM_BASE64, WASM_SHA256 } from './wasm-binary.js';
import type { KernelExports } from './api.js';

/** SHA-256 (hex) of the Wasm binary this build runs: a checkpoint from another core is refused. */
export const CORE_SHA256: string = WASM_SHA256;

/** Bytes in a Wasm page. */
export const PAGE_BYTES = 65536;
/** Wasm32 addresses 4 GiB at most. */
export const MAX_MEMORY_BYTES = 65536 * PAGE_BYTES;

/** The loaded module: its kernels and its memory. */
export interface WasmCore {
  readonly kernels: KernelExports;
  readonly memory: WebAssembly.Memory;
  /** First free byte after the module's static data. */
  readonly heapBase: number;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  // atob exists in browsers and in Node >= 16, so this path needs no Buffer.
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

let cachedModule: WebAssembly.Module | undefined;

/** The compiled module, compiled once per thread and shared by every instance. */
export function wasmModule(): WebAssembly.Module {
  if (!cachedModule) {
    if (
      typeof WebAssembly !== 'object' ||
      !WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))
    ) {
      throw new Error('quanta: this runtime has no WebAssembly');
    }
    const bytes = decodeBase64(WASM_BASE64);
    if (!WebAssembly.validate(bytes)) {
      throw new Error('quanta: this runtime lacks WebAssembly SIMD (fixed-width v128), which the core needs');
    }
    cachedModule = new WebAssembly.Module(bytes);
  }
  return cachedModule;
}

/** A fresh instance of the core with its own memory. */
export function instantiateCore(): WasmCore {
  const { exports } = instantiateSync<KernelExports & Record<string, unknown>>(wasmModule(), {
    env: {
      abort(_msg: number, _file: number, line: number, column: number) {
        throw new Error(`quanta: Wasm core aborted at line ${line}:${column}`);
      },
    },
  });
  const memory = exports.memory as WebAssembly.Memory;
  return { kernels: exports, memory, heapBase: exports.heapBase() };
}
