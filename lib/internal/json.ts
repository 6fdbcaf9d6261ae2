/** A JSON object (not an array, not null). @internal */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const BACKSLASH = 0x5c;
const COLON = 0x3a;

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/**
 * True when some object in `text` (valid JSON) names a member twice, after
 * unescaping (`"jwk"` and `"\u006awk"` are the same name). RFC 7515 §4 lets
 * a JOSE parser either reject such a header or take the last value; a
 * header with `jwk` twice could then be read one way by us and another way
 * by someone else, so DPoP proofs with duplicates are refused. Iterative:
 * nesting depth costs no stack.
 * @internal
 */
export function hasDuplicateMemberNames(text: string): boolean {
  // One entry per open object (its names so far) or array (null).
  const open: (string[] | null)[] = [];
  const length = text.length;
  let i = 0;
  while (i < length) {
    // Up to the next string: brackets, commas, colons, numbers, literals and whitespace, read one by one.
    const quote = text.indexOf('"', i);
    const stop = quote === -1 ? length : quote;
    for (; i < stop; i++) {
      const code = text.charCodeAt(i);
      if (code === 0x7b) open.push([]);
      else if (code === 0x5b) open.push(null);
      else if (code === 0x7d || code === 0x5d) open.pop();
    }
    if (quote === -1) return false;
    // The string ends at the next quote not escaped (an odd run of backslashes before a quote escapes it).
    let end = text.indexOf('"', quote + 1);
    while (end !== -1 && escapedAt(text, end)) end = text.indexOf('"', end + 1);
    if (end === -1) return false; // not JSON; the caller parsed it first
    const names = open[open.length - 1];
    if (names) {
      let after = end + 1;
      while (after < length && isWhitespace(text.charCodeAt(after))) after++;
      if (text.charCodeAt(after) === COLON) {
        const raw = text.slice(quote + 1, end);
        const name = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (names.includes(name)) return true;
        names.push(name);
      }
    }
    i = end + 1;
  }
  return false;
}

/** Whether the character at `index` follows an odd number of backslashes. */
function escapedAt(text: string, index: number): boolean {
  let backslashes = 0;
  while (text.charCodeAt(index - 1 - backslashes) === BACKSLASH) backslashes++;
  return backslashes % 2 === 1;
}

/**
 * True when `value`, which `JSON.parse` read from `text`, is a flat object (no member is an object or an
 * array) and `text` names none of its members twice. Each string of `text` is a member name or a string
 * value and brings two quotes, an escaped quote inside one more; `JSON.parse` keeps the last of duplicate
 * members. So `text` holds at least two quotes per name and per string value of `value`, and exactly that
 * many only when no name is written twice (and no quote is escaped). Allocates nothing. False does not
 * mean a duplicate: {@link hasDuplicateMemberNames} decides those cases.
 */
function isFlatWithoutDuplicates(text: string, value: Record<string, unknown>): boolean {
  let expectedQuotes = 0;
  for (const name in value) {
    if (!Object.hasOwn(value, name)) return false; // an enumerable property inherited (a polluted prototype)
    const member = value[name];
    if (typeof member === 'object' && member !== null) return false;
    expectedQuotes += typeof member === 'string' ? 4 : 2;
  }
  let quotes = 0;
  for (let at = text.indexOf('"'); at !== -1; at = text.indexOf('"', at + 1)) quotes++;
  return quotes === expectedQuotes;
}

/** Bytes the JSON segments are decoded into, reused (decoding is synchronous); grows to the largest segment seen. */
let scratch = Buffer.allocUnsafe(2048);

/**
 * Decodes one base64url JWS segment holding a JSON object: undefined when
 * it is not canonical base64url, not JSON, not an object, or names a member
 * twice. The bytes go through one reused buffer, not a new one per call; a
 * flat object (a proof's claims) is checked for duplicates by counting its
 * quotes, without the full scan.
 * @internal
 */
export function decodeJsonObjectSegment(segment: string): Record<string, unknown> | undefined {
  if (segment.length % 4 === 1) return undefined; // no base64 encoding has this length
  const most = Math.ceil((segment.length * 3) / 4);
  if (scratch.length < most) scratch = Buffer.allocUnsafe(most);
  const text = scratch.toString('utf8', 0, scratch.write(segment, 'base64url'));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value) || (!isFlatWithoutDuplicates(text, value) && hasDuplicateMemberNames(text))) return undefined;
  return value;
}

/** Freezes a parsed JSON value and everything in it, without recursion (depth is the client's choice). @internal */
export function deepFreeze<T>(value: T): T {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'object' && next !== null && !Object.isFrozen(next)) {
      Object.freeze(next);
      for (const member of Object.values(next)) pending.push(member);
    }
  }
  return value;
}
