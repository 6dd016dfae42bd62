// Search integration tests run against the embedded PGlite and a PostgreSQL server: this names
// both, with a reason to skip PostgreSQL when it is absent (a failure with DOPPEL_REQUIRE_SERVICES=1).

import { startTestServer, type TestServer } from './doppel-server.ts';
import { createPostgresSchema, postgresForTests } from './postgres.ts';

export interface Backend {
  readonly name: string;
  readonly skip: string | undefined;
  start(): Promise<TestServer>;
}

export async function searchBackends(): Promise<Backend[]> {
  const pg = await postgresForTests();
  return [
    { name: 'PGlite', skip: undefined, start: () => startTestServer() },
    {
      name: 'PostgreSQL',
      skip: pg.skip,
      async start() {
        const s = await createPostgresSchema(pg.url);
        const server = await startTestServer({ postgresUrl: s.url, postgresSchema: s.schema, postgresPoolSize: 4 });
        return {
          url: server.url,
          doppel: server.doppel,
          async close() {
            await server.close();
            await s.drop();
          },
        };
      },
    },
  ];
}
