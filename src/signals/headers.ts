/** Ditto headers of a signal, keys in lower case. */
export type DittoHeaders = Readonly<Record<string, string>>;

import type { JsonObject } from '../model/json.ts';

/** Who sent a signal: the authorization subjects every policy check uses. */
export interface AuthContext {
  readonly subjects: readonly string[];
  /**
   * The verified JWT the caller authenticated with, when it did so with one. Policy actions
   * (token integration) resolve `{{ jwt:... }}` against its claims and take its expiry.
   */
  readonly jwt?: JwtClaims;
}

export interface JwtClaims {
  readonly claims: JsonObject;
  /** The token's `exp` in epoch ms, when it has one. */
  readonly expiresAtMs?: number;
}
