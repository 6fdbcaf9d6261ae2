import type { CheckContext, DpopRequestOptions } from './context.js';
import type { ProofChanges } from './proofs.js';
import type { CheckResponse } from './transport.js';

/** What a case expects of the server: `accepted`, `refused`, or something the case judges itself. */
export type Expectation = string;

/** A response to judge by the case's expectation, a judgement made by the case itself, or a case that does not apply. */
export type CaseResult = { response: CheckResponse } | { holds: boolean; observed: string } | { skip: string };

/** One check of the server. */
export interface CheckCase {
  readonly id: string;
  readonly title: string;
  /** Where RFC 9449 (or another RFC) asks for it, e.g. `RFC 9449 §4.3 (4)`. */
  readonly section: string;
  readonly expect: Expectation;
  /** A required case that does not hold makes the exit code 1; the others (SHOULDs) only warn. */
  readonly required: boolean;
  /** The likely cause when the case does not hold. */
  readonly hint: string;
  run(context: CheckContext): Promise<CaseResult>;
}

type Variation = ProofChanges | ((context: CheckContext) => [ProofChanges, DpopRequestOptions] | string);

async function sendVariation(context: CheckContext, variation: Variation): Promise<CaseResult> {
  const made: [ProofChanges, DpopRequestOptions] | string =
    typeof variation === 'function' ? variation(context) : [variation, {}];
  if (typeof made === 'string') return { skip: made };
  return { response: (await context.dpop(made[0], made[1])).response };
}

/** A protected request with one thing wrong, which the server must refuse. */
export function mustRefuse(id: string, title: string, section: string, hint: string, variation: Variation): CheckCase {
  return { id, title, section, hint, expect: 'refused', required: true, run: (c) => sendVariation(c, variation) };
}

/** A protected request written differently but validly, which the server must (or, if not required, should) accept. */
export function mustAccept(
  id: string,
  title: string,
  section: string,
  hint: string,
  variation: Variation,
  required = true,
): CheckCase {
  return { id, title, section, hint, expect: 'accepted', required, run: (c) => sendVariation(c, variation) };
}

/** A case the baseline's refusal makes meaningless still runs when it does not depend on the token's acceptance. */
export const RUNS_WITHOUT_BASELINE = new Set(['no-credentials', 'challenge', 'challenge-algs']);
