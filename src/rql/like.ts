// `like` / `ilike` patterns: `*` stands for any sequence of characters, `?` for exactly one
// character (a Unicode code point), everything else for itself; the pattern must cover the whole
// string. There is no escape, as in Ditto. [ditto: basic-rql like]
//
// Patterns come from clients and run against every event of every subscriber, so they are not
// turned into backtracking regular expressions (`*a*a*a*...` would take exponential time).
// Star-only patterns are matched with indexOf in linear time; patterns with `?` use the
// classic greedy wildcard algorithm, at worst O(pattern x subject).

export type LikeMatcher = (subject: string) => boolean;

export function compileLike(pattern: string, caseInsensitive: boolean): LikeMatcher {
  const p = (caseInsensitive ? pattern.toLowerCase() : pattern).replace(/\*{2,}/g, '*');
  const test = p.includes('?') ? wildcardMatcher(p) : starMatcher(p);
  return caseInsensitive ? (s) => test(s.toLowerCase()) : test;
}

function starMatcher(p: string): LikeMatcher {
  const parts = p.split('*');
  if (parts.length === 1) return (s) => s === p;
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  const middle = parts.slice(1, -1).filter((x) => x !== '');
  if (middle.length === 0) {
    const min = first.length + last.length;
    return (s) => s.length >= min && s.startsWith(first) && s.endsWith(last);
  }
  return (s) => {
    if (!s.startsWith(first)) return false;
    const end = s.length - last.length;
    if (end < first.length || !s.endsWith(last)) return false;
    // Leftmost placement of each middle part leaves the most room for the rest, so the first
    // failure is final.
    let at = first.length;
    for (const part of middle) {
      const found = s.indexOf(part, at);
      if (found < 0 || found + part.length > end) return false;
      at = found + part.length;
    }
    return true;
  };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Code units taken by the character at `i`: a surrogate pair counts as one character. */
function charLength(s: string, i: number): number {
  if (!isHighSurrogate(s.charCodeAt(i)) || i + 1 >= s.length) return 1;
  const next = s.charCodeAt(i + 1);
  return next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
}

const STAR = 42; // '*'
const ANY = 63; // '?'

function wildcardMatcher(p: string): LikeMatcher {
  return (s) => {
    let si = 0;
    let pi = 0;
    // Only the most recent star needs revisiting: letting it absorb more subsumes what any
    // earlier star could have absorbed.
    let starPi = -1;
    let starSi = 0;
    while (si < s.length) {
      const pc = pi < p.length ? p.charCodeAt(pi) : -1;
      if (pc === STAR) {
        starPi = pi++;
        starSi = si;
      } else if (pc === ANY) {
        si += charLength(s, si);
        pi++;
      } else if (pc !== -1 && pc === s.charCodeAt(si)) {
        si++;
        pi++;
      } else if (starPi >= 0) {
        starSi += charLength(s, starSi);
        si = starSi;
        pi = starPi + 1;
      } else {
        return false;
      }
    }
    while (pi < p.length && p.charCodeAt(pi) === STAR) pi++;
    return pi === p.length;
  };
}
