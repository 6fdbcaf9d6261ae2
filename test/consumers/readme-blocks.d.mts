/** Types of readme-blocks.mjs (for the spec that checks it). */
export function extractTsBlocks(markdown: string): { line: number; code: string }[];
export function blockModule(code: string): string;
export function readmeBlockFiles(readmePath: string): Record<string, string>;
