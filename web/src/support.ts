// Feature detection before the worker starts: the core needs WebAssembly with fixed-width SIMD (v128),
// module Web Workers, and nothing else. Each missing piece gets one clear sentence for the user.

/** The smallest valid module: the header only. */
const MVP_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

/**
 * A module with one function `() -> v128` whose body is `i32.const 0; i8x16.splat; i8x16.popcnt`: it
 * validates only where fixed-width SIMD is supported.
 */
const SIMD_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01,
  0x00, 0x0a, 0x0a, 0x01, 0x08, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0xfd, 0x62, 0x0b,
]);

export interface Support {
  ok: boolean;
  /** Why the page cannot train here (empty when ok). */
  message: string;
}

export function detectSupport(): Support {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') {
    return {
      ok: false,
      message:
        'This browser has no WebAssembly, which quanta needs. Try a current Chrome, Edge, Firefox or Safari.',
    };
  }
  let mvp = false;
  let simd = false;
  try {
    mvp = WebAssembly.validate(MVP_MODULE);
    simd = WebAssembly.validate(SIMD_MODULE);
  } catch {
    simd = false;
  }
  if (!mvp) {
    return { ok: false, message: 'WebAssembly is disabled in this browser, and quanta needs it.' };
  }
  if (!simd) {
    return {
      ok: false,
      message:
        'This browser lacks WebAssembly SIMD (fixed-width 128-bit), which the quanta core is compiled with. ' +
        'It ships in Chrome/Edge 91+, Firefox 89+ and Safari 16.4+; update the browser or enable SIMD.',
    };
  }
  if (typeof Worker !== 'function') {
    return {
      ok: false,
      message: 'This browser has no Web Workers; quanta trains in a worker to keep the page responsive.',
    };
  }
  return { ok: true, message: '' };
}
