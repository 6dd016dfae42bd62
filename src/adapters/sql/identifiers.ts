// Identifiers cannot be bound as parameters, so the only one that varies (the schema name) is
// checked against a strict pattern and then quoted; values always travel as `$n` parameters.

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export class InvalidIdentifierError extends Error {
  constructor(name: string) {
    super(`'${name}' is not a valid schema name: use 1-63 lower-case letters, digits or underscores, not starting with a digit`);
    this.name = 'InvalidIdentifierError';
  }
}

/** Double-quotes an identifier, doubling embedded quotes (PostgreSQL's quote_ident rule). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Validates a schema name and returns it quoted, ready to prefix table names. */
export function schemaIdentifier(name: string): string {
  if (!SCHEMA_NAME.test(name)) throw new InvalidIdentifierError(name);
  return quoteIdentifier(name);
}
