import type { QueryOptions, SqlClient, SqlQueryable, SqlRow } from '../../src/adapters/sql/client.ts';

/** Wraps a SqlClient and counts what goes through it, to assert on batching. */
export class CountingSqlClient implements SqlClient {
  transactions = 0;
  statements = 0;
  constructor(readonly inner: SqlClient) {}

  query<T extends SqlRow = SqlRow>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<T[]> {
    this.statements++;
    return this.inner.query<T>(text, params, options);
  }

  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
    this.transactions++;
    return this.inner.transaction((tx) =>
      fn({
        query: <R extends SqlRow = SqlRow>(text: string, params?: readonly unknown[], options?: QueryOptions) => {
          this.statements++;
          return tx.query<R>(text, params, options);
        },
      }),
    );
  }

  reset(): void {
    this.transactions = 0;
    this.statements = 0;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
