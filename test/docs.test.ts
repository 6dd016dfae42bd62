import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SETTINGS } from '../src/app/config.ts';

test('the README documents every setting with its environment variable and flag', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const s of Object.values(SETTINGS)) {
    assert.ok(readme.includes(`\`${s.env}\``), `README lacks ${s.env}`);
    assert.ok(readme.includes(`\`${s.flag}\``), `README lacks ${s.flag}`);
  }
});
