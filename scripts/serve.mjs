// Serves www/ on 127.0.0.1 (never on other interfaces), for the demo and the browser tests.
// Usage: node scripts/serve.mjs [port]   (default 8000; 0 picks a free port)
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const www = join(dirname(fileURLToPath(import.meta.url)), '..', 'www');
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * What makes the page cross-origin isolated, so that it may share wasm memory between threads
 * and train the CPU path on a pool of them (www/src/threads.js). A static host serves the page
 * with the same two headers; one that cannot trains on one thread.
 */
export const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

/**
 * @param {number} port
 * @param {string} [root] the folder served: www/, or the repository for the benchmark's peer page
 * @param {{isolated?: boolean}} [options] without the isolation headers, the page is what a
 *   static host that cannot send them gives (one thread on the CPU path)
 * @returns {Promise<{url: string, close: () => Promise<void>}>}
 */
export function serve(port = 8000, root = www, { isolated = true } = {}) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    let stat;
    try {
      stat = statSync(file);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
      return;
    }
    if (!stat.isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': stat.size,
      'cache-control': 'no-cache',
      ...(isolated ? ISOLATION_HEADERS : {}),
    });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}/`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await serve(Number(process.argv[2] ?? 8000));
  console.log(`latent-lab is being served at ${url}  (Ctrl-C to stop)`);
}
