import type { CaseReport, CaseStatus, CheckReport } from './runner.js';

const MARK: Record<CaseStatus, string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', skip: 'SKIP' };

const cell = (text: string, width: number) =>
  text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);

/** The progress line of one case: `[ 3/44] PASS typ-wrong  typ is "jwt"  401 invalid_dpop_proof (refused)`. */
export function progressLine(report: CaseReport, index: number, total: number): string {
  const counter = `[${String(index + 1).padStart(String(total).length)}/${total}]`;
  return `${counter} ${MARK[report.status]} ${cell(report.id, 19)} ${cell(report.title, 38)} ${report.observed}`;
}

const COLUMNS: [string, number, (report: CaseReport) => string][] = [
  ['', 4, (report) => MARK[report.status]],
  ['case', 19, (report) => report.id],
  ['RFC 9449', 22, (report) => report.section.replace('RFC 9449 ', '')],
  ['expected', 24, (report) => report.expected],
  ['observed', 46, (report) => report.observed],
];

/** `text` in lines of at most 116 characters, indented: a hint's paragraph. */
function wrap(text: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + word.length + 1 > 112) {
      lines.push(line);
      line = `  ${word}`;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, line].map((item) => `  ${item}`);
}

/** The table of every case, the hints of those that do not hold, and the verdict. */
export function renderTable(report: CheckReport): string {
  const lines = [`nestjs-dpop check: ${report.method} ${report.target}`, ''];
  lines.push(
    COLUMNS.map(([title, width]) => cell(title, width))
      .join(' ')
      .trimEnd(),
  );
  for (const item of report.cases) {
    lines.push(
      COLUMNS.map(([, width, value]) => cell(value(item), width))
        .join(' ')
        .trimEnd(),
    );
  }
  const hinted = report.cases.filter((item) => item.hint !== undefined);
  if (report.diagnosis.length > 0 || hinted.length > 0) lines.push('', 'What is wrong:');
  for (const text of report.diagnosis) lines.push(...wrap(`- ${text}`));
  for (const item of hinted) lines.push(...wrap(`- ${item.id} (${MARK[item.status]}, ${item.section}): ${item.hint}`));
  const { summary } = report;
  lines.push(
    '',
    `${report.cases.length} cases: ${summary.pass} passed, ${summary.fail} failed, ${summary.warn} warnings, ` +
      `${summary.skip} not run; ${summary.requests} requests (at most ${summary.maxRequests}).`,
    report.ok ? 'Every required case holds.' : 'Some required cases do not hold (exit code 1).',
  );
  return `${lines.join('\n')}\n`;
}
