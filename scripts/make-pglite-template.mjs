// Run by `npm install` (postinstall): initialises an empty embedded database once and caches it,
// so that the first `npm start` on a new data directory starts in well under a second instead
// of running initdb (~4 s). Failing here never fails the install: the server then runs initdb.
import { spawnSync } from 'node:child_process';

const code = `
import { openPgliteClient } from './src/adapters/pglite/index.ts';
const c = await openPgliteClient({ templateDir: process.env.DOPPEL_PGLITE_TEMPLATE_DIR ?? 'node_modules/.cache/doppel' });
await c.close();
`;
const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: 'inherit' });
if (r.status !== 0) console.warn('doppel: could not prepare the embedded database template; the first start will take a few seconds longer');
