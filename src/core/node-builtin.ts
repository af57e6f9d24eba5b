// Node's built-in modules for code that a browser may also load (the k-means helper threads, the worker
// script of every pool): process.getBuiltinModule (Node 20.16+) loads them when the code runs in Node, and a
// bundle for the browser has no `node:` import to resolve. In a browser (or on an older Node) they are absent,
// and the callers fall back (k-means runs its restarts on the calling thread) or say what is missing.
type BuiltinModules = {
  'node:crypto': typeof import('node:crypto');
  'node:fs': typeof import('node:fs');
  'node:module': typeof import('node:module');
  'node:os': typeof import('node:os');
  'node:path': typeof import('node:path');
  'node:url': typeof import('node:url');
  'node:v8': typeof import('node:v8');
  'node:worker_threads': typeof import('node:worker_threads');
};

/** A Node built-in module, or undefined outside Node (a browser) or before Node 20.16. */
export function nodeBuiltin<Id extends keyof BuiltinModules>(id: Id): BuiltinModules[Id] | undefined {
  const processLike = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return processLike?.getBuiltinModule?.(id) as BuiltinModules[Id] | undefined;
}

/** A Node built-in module, or an Error naming what is missing. */
export function requireNodeBuiltin<Id extends keyof BuiltinModules>(id: Id): BuiltinModules[Id] {
  const module = nodeBuiltin(id);
  if (!module) throw new Error(`quanta: ${id} is needed here: run in Node 20.16 or newer`);
  return module;
}
