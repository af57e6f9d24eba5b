// Types of ./readme-outputs.mjs (imported by test/cli/readme.test.ts, which tsc checks).
export declare const ROOT: string;
export declare const README: string;
export declare const CLONE: string;
export declare const NODE: string;

export interface ReadmeOutput {
  id: string;
  /** The command after `npx quanta`, as the README shows it. */
  args: string[];
  /** Lines that vary from run to run. */
  masks: RegExp[];
}
export declare const OUTPUTS: ReadmeOutput[];

export interface ReadmeBlock {
  id: string;
  /** The fence's info string (`sh`, `yaml`, or empty). */
  info: string;
  /** The lines inside the fence. */
  body: string[];
  /** Line indexes of the two markers. */
  open: number;
  close: number;
}
export declare function readmeBlocks(text: string): ReadmeBlock[];
export declare function withOutputs(text: string, outputs: Map<string, string[]>): string;
export declare function freshOutputs(options?: {
  cli?: string;
  ids?: string[];
}): Promise<Map<string, string[]>>;

export interface Difference {
  id: string;
  lines: Array<{ line: number; readme: string; fresh: string }>;
}
export declare function differences(text: string, outputs: Map<string, string[]>): Difference[];
export declare function formatDifferences(found: Difference[]): string;
