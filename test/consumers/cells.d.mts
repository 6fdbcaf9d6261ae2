/** Types of cells.mjs (for the spec that checks it). */
export function jestRecipes(): { nest11: Record<string, unknown>; nest12: Record<string, unknown> };
export const CELLS: { name: string; steps: { ours: boolean; what: string }[] }[];
