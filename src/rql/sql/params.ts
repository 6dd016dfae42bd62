/**
 * Collects the values of one SQL statement. Every value is bound as a `$n` parameter, never
 * spliced into the text; the cast names the type so both PGlite and PostgreSQL plan the same.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown, cast: 'text' | 'float8' | 'boolean' | 'bigint' | 'text[]' | 'float8[]' | 'int[]'): string {
    this.values.push(value);
    return `$${this.values.length}::${cast}`;
  }
}

/** A statement or a fragment of one: text with `$n` placeholders and their values. */
export interface SqlFragment {
  readonly text: string;
  readonly values: readonly unknown[];
}

/**
 * Drops the values `text` no longer refers to (constant folding can remove the condition that
 * bound them; PostgreSQL rejects parameters it cannot type) and renumbers the rest in order of
 * first use. Safe because the text never holds client data: every value is a parameter.
 */
export function compactParams(text: string, values: readonly unknown[]): SqlFragment {
  const renumbered = new Map<number, number>();
  const kept: unknown[] = [];
  const out = text.replace(/\$(\d+)/g, (_m, digits: string) => {
    const i = Number(digits);
    let j = renumbered.get(i);
    if (j === undefined) {
      kept.push(values[i - 1]);
      j = kept.length;
      renumbered.set(i, j);
    }
    return `$${j}`;
  });
  return { text: out, values: kept };
}
