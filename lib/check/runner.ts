import { RUNS_WITHOUT_BASELINE, type CaseResult, type CheckCase } from './case.js';
import type { CheckContext } from './context.js';
import { diagnoseBaseline } from './diagnosis.js';
import { SetupError } from './errors.js';
import { describeResponse, verdictOf } from './outcome.js';
import { BROKEN_PROOF_CASES, VALID_VARIANT_CASES } from './proof-cases.js';
import { BASELINE_CASE, REQUEST_CASES, STATE_CASES } from './request-cases.js';
import { BudgetExceededError, MAX_REQUESTS, type CheckResponse, type Transport } from './transport.js';

/** Every case, in the order run: the valid request first, replay and nonces last. */
export const ALL_CASES: readonly CheckCase[] = [
  BASELINE_CASE,
  ...BROKEN_PROOF_CASES,
  ...VALID_VARIANT_CASES,
  ...REQUEST_CASES,
  ...STATE_CASES,
];

export type CaseStatus = 'pass' | 'fail' | 'warn' | 'skip';

/** One case's line in the report. */
export interface CaseReport {
  id: string;
  title: string;
  section: string;
  required: boolean;
  expected: string;
  observed: string;
  status: CaseStatus;
  /** The likely cause, when the case does not hold. */
  hint?: string;
}

/** What `check` found: a JSON document with `--json`, a table otherwise. */
export interface CheckReport {
  target: string;
  method: string;
  cases: CaseReport[];
  /** Why the valid request was refused, when it was. */
  diagnosis: string[];
  summary: Record<CaseStatus, number> & { requests: number; maxRequests: number };
  ok: boolean;
}

function judge(item: CheckCase, result: CaseResult): Pick<CaseReport, 'observed' | 'status' | 'hint'> {
  if ('skip' in result) return { observed: `not run: ${result.skip}`, status: 'skip' };
  let holds: boolean;
  let observed: string;
  let hint = item.hint;
  if ('response' in result) {
    const verdict = verdictOf(result.response);
    holds = verdict === item.expect;
    observed = `${describeResponse(result.response)} (${verdict === 'other' ? 'neither' : verdict})`;
    if (verdict === 'other') hint = `HTTP ${result.response.status} instead of a refusal or an answer. ${hint}`;
  } else {
    ({ holds, observed } = result);
  }
  if (holds) return { observed, status: 'pass' };
  return { observed, status: item.required ? 'fail' : 'warn', hint };
}

const failure = (error: unknown) => `no answer: ${(error as Error).message ?? String(error)}`.slice(0, 100);

/** Runs every case against the server, one request at a time; `progress` hears of each case as it ends. */
export async function runChecks(
  context: CheckContext,
  transport: Transport,
  progress: (report: CaseReport, index: number, total: number) => void,
): Promise<CheckReport> {
  const cases: CaseReport[] = [];
  const diagnosis: string[] = [];
  let skipAllBut: Set<string> | undefined;
  let skipReason = '';
  for (const [index, item] of ALL_CASES.entries()) {
    const base = {
      id: item.id,
      title: item.title,
      section: item.section,
      required: item.required,
      expected: item.expect,
    };
    let outcome: Pick<CaseReport, 'observed' | 'status' | 'hint'>;
    if (skipAllBut && !skipAllBut.has(item.id)) {
      outcome = { observed: `not run: ${skipReason}`, status: 'skip' };
    } else {
      try {
        const result = await item.run(context);
        outcome = judge(item, result);
        if (item === BASELINE_CASE && outcome.status !== 'pass') {
          diagnosis.push(...(await diagnoseBaseline(context, (result as { response: CheckResponse }).response)));
          skipAllBut = RUNS_WITHOUT_BASELINE;
          skipReason = 'the valid request was refused';
        }
      } catch (error) {
        if (item === BASELINE_CASE && !(error instanceof BudgetExceededError)) {
          throw new SetupError(`${context.target.origin} did not answer the valid request (${failure(error)}).`);
        }
        if (!(error instanceof BudgetExceededError)) {
          outcome = { observed: failure(error), status: item.required ? 'fail' : 'warn', hint: item.hint };
        } else {
          skipAllBut = new Set();
          skipReason = `the limit of ${MAX_REQUESTS} requests was reached`;
          outcome = { observed: `not run: ${skipReason}`, status: 'skip' };
        }
      }
    }
    const report = { ...base, ...outcome };
    cases.push(report);
    progress(report, index, ALL_CASES.length);
  }
  const offset = context.clockOffset ?? 0;
  if (Math.abs(offset) >= 5) {
    diagnosis.push(
      `The server's clock is ${Math.abs(offset)} s ${offset > 0 ? 'ahead of' : 'behind'} this machine's (its Date ` +
        "header): every proof's iat looks that far off to it.",
    );
  }
  const count = (status: CaseStatus) => cases.filter((item) => item.status === status).length;
  const summary = {
    pass: count('pass'),
    fail: count('fail'),
    warn: count('warn'),
    skip: count('skip'),
    requests: transport.count,
    maxRequests: MAX_REQUESTS,
  };
  return {
    target: `${context.target.origin}${context.target.pathname}`,
    method: context.method,
    cases,
    diagnosis,
    summary,
    ok: summary.fail === 0,
  };
}
