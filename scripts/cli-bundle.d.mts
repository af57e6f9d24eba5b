// Types of ./cli-bundle.mjs (imported by test/cli-bundle.ts, which tsc checks).
export interface CliBundle {
  /** The bundled main script: `node <cli> sweep ...`. */
  cli: string;
  /** Removes the bundle's folder. */
  cleanup(): void;
}

export declare function bundleCli(prefix?: string): Promise<CliBundle>;
