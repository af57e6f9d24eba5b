// src/core/api.ts is written by hand; this holds it to the module it types. The export names, each function's
// parameter count and whether it returns a value are read from the Wasm binary itself (its type, import,
// function and export sections), the interface's from api.ts's syntax tree, and both directions are compared:
// an export that api.ts lacks, a method with no export, or a signature that differs fails here.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { WASM_BASE64 } from '../../src/core/wasm-binary.js';

interface Signature {
  params: number;
  returns: boolean;
}

/** Reads an unsigned LEB128 at `pos`; returns the value and the position after it. */
function leb(bytes: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, pos];
    shift += 7;
  }
}

/** The exported functions of a Wasm binary with their signatures, and the other exports' names. */
function wasmExports(bytes: Uint8Array): { functions: Map<string, Signature>; others: string[] } {
  const types: Signature[] = [];
  const funcTypes: number[] = []; // imported functions first, then the module's own (the function index space)
  const functions = new Map<string, Signature>();
  const others: string[] = [];
  let pos = 8; // magic and version
  while (pos < bytes.length) {
    const id = bytes[pos++];
    let size: number;
    [size, pos] = leb(bytes, pos);
    const end = pos + size;
    let p = pos;
    let count: number;
    const name = (): string => {
      let n: number;
      [n, p] = leb(bytes, p);
      const s = new TextDecoder().decode(bytes.subarray(p, p + n));
      p += n;
      return s;
    };
    if (id === 1) {
      [count, p] = leb(bytes, p);
      for (let i = 0; i < count; i++) {
        expect(bytes[p++]).toBe(0x60); // func type
        let np: number;
        let nr: number;
        [np, p] = leb(bytes, p);
        p += np;
        [nr, p] = leb(bytes, p);
        p += nr;
        types.push({ params: np, returns: nr > 0 });
      }
    } else if (id === 2) {
      [count, p] = leb(bytes, p);
      for (let i = 0; i < count; i++) {
        name();
        name();
        const kind = bytes[p++];
        let x: number;
        if (kind === 0) {
          [x, p] = leb(bytes, p);
          funcTypes.push(x);
        } else if (kind === 1) {
          p += 1; // table: element type, then limits
          const flags = bytes[p++];
          [, p] = leb(bytes, p);
          if (flags & 1) [, p] = leb(bytes, p);
        } else if (kind === 2) {
          const flags = bytes[p++];
          [, p] = leb(bytes, p);
          if (flags & 1) [, p] = leb(bytes, p);
        } else p += 2; // global: value type, mutability
      }
    } else if (id === 3) {
      [count, p] = leb(bytes, p);
      for (let i = 0; i < count; i++) {
        let t: number;
        [t, p] = leb(bytes, p);
        funcTypes.push(t);
      }
    } else if (id === 7) {
      [count, p] = leb(bytes, p);
      for (let i = 0; i < count; i++) {
        const n = name();
        const kind = bytes[p++];
        let index: number;
        [index, p] = leb(bytes, p);
        if (kind === 0) functions.set(n, types[funcTypes[index]]);
        else others.push(n);
      }
    }
    pos = end;
  }
  return { functions, others };
}

/** The members of interface KernelExports in src/core/api.ts: methods with their signatures, and properties. */
function apiMembers(): { methods: Map<string, Signature>; properties: string[] } {
  const path = join(__dirname, '..', '..', 'src', 'core', 'api.ts');
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const methods = new Map<string, Signature>();
  const properties: string[] = [];
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || node.name.text !== 'KernelExports') return;
    for (const m of node.members) {
      const n = m.name && ts.isIdentifier(m.name) ? m.name.text : '?';
      if (ts.isMethodSignature(m)) {
        const returns = m.type !== undefined && m.type.kind !== ts.SyntaxKind.VoidKeyword;
        methods.set(n, { params: m.parameters.length, returns });
      } else properties.push(n);
    }
  });
  return { methods, properties };
}

describe('src/core/api.ts against the Wasm module', () => {
  const binary = Uint8Array.from(atob(WASM_BASE64), (c) => c.charCodeAt(0));
  const wasm = wasmExports(binary);
  const api = apiMembers();

  it('reads a plausible module and interface (the parsers work)', () => {
    expect(wasm.functions.size).toBeGreaterThan(60);
    expect(api.methods.size).toBeGreaterThan(60);
    // the JS API agrees with the binary parser on names and parameter counts
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(binary), {
      env: { abort: () => {}, seed: () => 0 },
    });
    for (const [name, sig] of wasm.functions)
      expect((exports[name] as () => void).length, name).toBe(sig.params);
  });

  it('every export is in api.ts with its parameter count and return, and nothing else is', () => {
    const describeAll = (m: Map<string, Signature>) =>
      [...m].map(([n, s]) => `${n}(${s.params})${s.returns ? ': number' : ''}`).sort();
    expect(describeAll(api.methods)).toEqual(describeAll(wasm.functions));
    expect([...api.properties].sort()).toEqual([...wasm.others].sort());
  });
});
