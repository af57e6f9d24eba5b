// Loads the Wasm core (inlined as base64 at build time, so Node and browsers need no file or network access)
// through @assemblyscript/loader, and types its exports. Every pointer is a byte offset into the module's
// one linear memory; the memory is owned by TypeScript through the Arena (./arena.ts).
import { instantiateSync } from '@assemblyscript/loader';
import { RELAXED_WASM_BASE64, WASM_BASE64, WASM_SHA256 } from './wasm-binary.js';
import type { KernelExports } from './api.js';
import { ConfigError } from './errors.js';
import { nodeBuiltin } from './node-builtin.js';

/** SHA-256 (hex) of the Wasm binary this build runs: a checkpoint from another core is refused. */
export const CORE_SHA256: string = WASM_SHA256;

/** Bytes in a Wasm page. */
export const PAGE_BYTES = 65536;
/** Wasm32 addresses 4 GiB at most. */
export const MAX_MEMORY_BYTES = 65536 * PAGE_BYTES;

/**
 * Which kernels a core runs. 'baseline': the core's own (fixed-width SIMD: the same bits on every engine).
 * 'relaxed': the Lanczos products and Ritz vectors from the relaxed-SIMD module (assembly/relaxed.ts), whose
 * multiply-adds are fused where the CPU has FMA: about a sixth less time per product, results that differ
 * from baseline in the last bits (the same from run to run, and on one thread or two, on one machine).
 */
export type SimdMode = 'baseline' | 'relaxed';

/** The loaded module: its kernels and its memory. */
export interface WasmCore {
  readonly kernels: KernelExports;
  readonly memory: WebAssembly.Memory;
  /** First free byte after the module's static data. */
  readonly heapBase: number;
  readonly simd: SimdMode;
}

let chosenMode: SimdMode | undefined;

/** Sets the mode of the cores made from now on (where there is no environment: browsers), or unsets it. */
export function setSimdMode(mode: SimdMode | undefined): void {
  if (mode !== undefined && mode !== 'baseline' && mode !== 'relaxed')
    throw new RangeError(`quanta: SIMD mode must be 'baseline' or 'relaxed', not '${String(mode)}'`);
  chosenMode = mode;
}

/** The mode of the cores made from now on: setSimdMode's, else the environment's QUANTA_SIMD, else 'baseline'. */
export function simdMode(): SimdMode {
  if (chosenMode) return chosenMode;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.QUANTA_SIMD;
  if (env === undefined || env === '' || env === 'baseline') return 'baseline';
  if (env === 'relaxed') return 'relaxed';
  // the user's environment: a ConfigError (one line, exit code 2 from the CLI)
  throw new ConfigError(`quanta: QUANTA_SIMD must be 'baseline' or 'relaxed', not '${env}'`);
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

let cachedRelaxed: WebAssembly.Module | undefined;

/**
 * The relaxed-SIMD module, compiled once per thread. Node 20 validates relaxed SIMD only behind a V8 flag,
 * which this sets at run time if it must (`--experimental-wasm-relaxed-simd`; Node 22 and current browsers
 * need nothing). Throws where the engine cannot run it.
 */
export function relaxedModule(): WebAssembly.Module {
  if (!cachedRelaxed) {
    const bytes = decodeBase64(RELAXED_WASM_BASE64);
    if (!WebAssembly.validate(bytes))
      nodeBuiltin('node:v8')?.setFlagsFromString('--experimental-wasm-relaxed-simd');
    if (!WebAssembly.validate(bytes)) {
      throw new ConfigError(
        'quanta: relaxed SIMD was asked for (QUANTA_SIMD=relaxed or setSimdMode), but this runtime lacks WebAssembly relaxed SIMD (Node 22+, or Node 20 with --experimental-wasm-relaxed-simd; Chrome/Edge 114+)',
      );
    }
    cachedRelaxed = new WebAssembly.Module(bytes);
  }
  return cachedRelaxed;
}

/** The kernels the relaxed module replaces, and its probe. */
type RelaxedExports = Pick<
  KernelExports,
  'lanczos_symv_upper' | 'lanczos_symv_upper_rows' | 'lanczos_symv2_upper_rows' | 'lanczos_ritz'
> & { relaxed_fused(): number };

/**
 * Whether this machine fuses relaxed SIMD's multiply-add (1 if f64x2.relaxed_madd rounds once: x86-64 with
 * FMA3, ARM): where it does not, 'relaxed' runs the same arithmetic as 'baseline' in another order.
 */
export function relaxedFused(): boolean {
  const memory = new WebAssembly.Memory({ initial: 0 });
  const probe = new WebAssembly.Instance(relaxedModule(), { env: { memory } })
    .exports as unknown as RelaxedExports;
  return probe.relaxed_fused() === 1;
}

/** A fresh instance of the core with its own memory; in 'relaxed' mode with the relaxed module's kernels over it. */
export function instantiateCore(mode: SimdMode = simdMode()): WasmCore {
  const { exports } = instantiateSync<KernelExports & Record<string, unknown>>(wasmModule(), {
    env: {
      abort(_msg: number, _file: number, line: number, column: number) {
        throw new Error(`quanta: Wasm core aborted at line ${line}:${column}`);
      },
    },
  });
  const memory = exports.memory as WebAssembly.Memory;
  const heapBase = exports.heapBase();
  if (mode === 'baseline') return { kernels: exports, memory, heapBase, simd: mode };
  // the relaxed module has no data and allocates nothing: it only reads and writes what the pointers name
  const relaxed = new WebAssembly.Instance(relaxedModule(), { env: { memory } })
    .exports as unknown as RelaxedExports;
  const kernels: KernelExports = {
    ...exports,
    lanczos_symv_upper: relaxed.lanczos_symv_upper,
    lanczos_symv_upper_rows: relaxed.lanczos_symv_upper_rows,
    lanczos_symv2_upper_rows: relaxed.lanczos_symv2_upper_rows,
    lanczos_ritz: relaxed.lanczos_ritz,
  };
  return { kernels, memory, heapBase, simd: mode };
}
