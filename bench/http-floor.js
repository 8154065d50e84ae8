// bench/http-floor.js -- the floor under any Node HTTP server on this machine: node:http answering
// one fixed body (no routing, no lookup), in WORKERS cluster processes (1 = no cluster). Started
// by bench/http-floor.sh; prints "listening PORT" once every worker listens. Binds 127.0.0.1 only.
'use strict';
const cluster = require('node:cluster');
const http = require('node:http');

const [bodyBytes, workers] = process.argv.slice(2).map(Number);
const body = Buffer.alloc(bodyBytes, 'a');

function listen(port) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/pgp-keys', 'Content-Length': body.length, 'Access-Control-Allow-Origin': '*' });
    res.end(body);
  });
  server.listen(port, '127.0.0.1', () => process.send ? process.send(server.address().port) : console.log(`listening ${server.address().port}`));
}

if (workers <= 1) listen(0);
else if (cluster.isPrimary) {
  // each worker accepts on the shared socket itself, as dkeyserv's HKP workers do (docs/operations.md §12)
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  // the primary picks a free port, then every worker listens on it (the cluster shares the socket)
  const probe = http.createServer().listen(0, '127.0.0.1', () => {
    const port = probe.address().port;
    probe.close(() => {
      let up = 0;
      for (let i = 0; i < workers; i++) {
        cluster.fork({ FLOOR_PORT: String(port) }).on('message', () => {
          if (++up === workers) console.log(`listening ${port}`);
        });
      }
    });
  });
} else listen(Number(process.env.FLOOR_PORT));
