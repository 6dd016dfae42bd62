// The read baseline: a bare node:http server answering the stored JSON of each thing from a Map
// keyed by the request path. It checks nothing (no authentication, no policy, no headers), so
// it marks what one Node process on this machine can answer at all.
//
// Usage: PORT=n baseline-server.ts <file>, where the file is a JSON object { path: body }.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: baseline-server.ts <paths-to-bodies.json>');
  process.exit(2);
}
const entries = Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>);
const bodies = new Map<string, Buffer>(entries.map(([path, body]) => [path, Buffer.from(body)]));

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const body = bodies.get(q < 0 ? url : url.slice(0, q));
  if (body !== undefined) {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  } else if (url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"UP"}');
  } else {
    res.writeHead(404);
    res.end();
  }
});
server.keepAliveTimeout = 60_000;

server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  console.log(JSON.stringify({ msg: 'baseline is ready', port, things: bodies.size }));
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
