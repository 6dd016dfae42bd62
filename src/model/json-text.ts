// Reading texts that JSON.stringify made (stored states) without parsing them whole: such a text
// has no whitespace, and its members are in the order they were written.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;

/**
 * V8 builds a string longer than a few dozen characters from pieces (JSON.stringify's result, a
 * concatenation) as a rope of them, which costs more than one flat string and can keep a larger
 * string it was sliced from alive. Reading a character joins the pieces into one string in place,
 * and the next young-generation collection lets holders point at that string directly.
 */
export function flattened(text: string): string {
  text.charCodeAt(0);
  return text;
}

/**
 * Where the JSON string token that begins at `start` ends, just past its closing quote; -1 when no
 * string begins there or it does not end in `text`.
 */
export function stringTokenEnd(text: string, start: number): number {
  if (text.charCodeAt(start) !== QUOTE) return -1;
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) i++;
  }
  return -1;
}

/** Whether a member's value ends at `at`: the next member or the end of the object follows. */
export function endsMember(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  return c === COMMA || c === CLOSE_BRACE;
}
