/** Ditto headers of a signal, keys in lower case. */
export type DittoHeaders = Readonly<Record<string, string>>;

/** Who sent a signal: the authorization subjects every policy check uses. */
export interface AuthContext {
  readonly subjects: readonly string[];
}
