// Run by `npm install` (postinstall): initialises an empty embedded database once and caches it,
// so that the first `npm start` on a new data directory starts in well under a second instead
// of running initdb (~4 s); then caches a second one with Doppel's tables made as the default
// configuration makes them, which a new directory starts from, keeping the database directory it
// was packed from as a spare for the first start on a new directory to take. Failing here never
// fails the install: the server then runs initdb, or makes the tables itself.
import { spawnSync } from 'node:child_process';

const code = `
import { openPgliteClient } from './src/adapters/pglite/index.ts';
import { loadConfig } from './src/app/config.ts';
import { createLogger } from './src/app/logger.ts';
import { writeEmbeddedTemplate } from './src/app/store.ts';
const templateDir = process.env.DOPPEL_PGLITE_TEMPLATE_DIR ?? 'node_modules/.cache/doppel';
const c = await openPgliteClient({ templateDir });
await c.close();
await writeEmbeddedTemplate(loadConfig({ DOPPEL_PGLITE_TEMPLATE_DIR: templateDir }), createLogger('warn'));
`;
const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: 'inherit' });
if (r.status !== 0) console.warn('doppel: could not prepare the embedded database templates; the first start will take longer');
