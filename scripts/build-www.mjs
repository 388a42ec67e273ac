// Bundles the page into www/dist/ from www/src/ and wasm-pack's pkg/:
//   app.js, app.css            the page (classic script: it also runs from file://)
//   latent_lab_bg.wasm         fetched over HTTP
//   latent_lab_threads_bg.wasm the threaded CPU build, fetched by a cross-origin isolated page
//                              only (never from file://, so not embedded)
//   embedded-wasm.js,          the same bytes (gzip, base64) as classic scripts, for file://,
//   embedded-dataset.js,       where Chromium blocks fetch
//   embedded-model-*.js
//   THIRD-PARTY-LICENSES.txt   the licences of everything in these files that we did not write
// The worker is bundled first and its source inlined into app.js, to be started from a Blob
// (scripts/bundle.mjs).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { SHIPPED_LATENT_SIZES } from '../www/src/loader.js';
import { bundlePage } from './bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const www = join(root, 'www');
const dist = join(www, 'dist');
mkdirSync(dist, { recursive: true });

await bundlePage({ outfile: join(dist, 'app.js') });

const wasm = join(root, 'pkg', 'latent_lab_bg.wasm');
copyFileSync(wasm, join(dist, 'latent_lab_bg.wasm'));
copyFileSync(join(root, 'pkg-threads', 'latent_lab_bg.wasm'), join(dist, 'latent_lab_threads_bg.wasm'));
const embed = (asset, bytes) => {
  const base64 = gzipSync(bytes, { level: 9 }).toString('base64');
  writeFileSync(
    join(dist, `embedded-${asset}.js`),
    `(globalThis.LATENT_LAB_EMBEDDED ??= {})[${JSON.stringify(asset)}] = "${base64}";\n`,
  );
};
embed('wasm', readFileSync(wasm));
embed('dataset', readFileSync(join(www, 'data', 'mnist-10k.bin')));
for (const latent of SHIPPED_LATENT_SIZES) embed(`model-${latent}`, readFileSync(join(www, 'models', `latent-${latent}.bpk`)));

writeFileSync(join(dist, 'THIRD-PARTY-LICENSES.txt'), thirdPartyLicenses());

/**
 * The JS libraries bundled into app.js with their licence files, the MNIST digits' terms, and
 * every Rust crate compiled into the wasm (the normal dependencies reachable from this crate for
 * wasm32) with the licence its manifest declares.
 */
function thirdPartyLicenses() {
  const section = (title, text) => `${'='.repeat(78)}\n${title}\n${'='.repeat(78)}\n\n${text.trim()}\n\n`;
  let out = 'Third-party software and data in the latent-lab page (www/dist/).\n\n';
  for (const [name, file] of [['uPlot', 'uplot/LICENSE'], ['idb-keyval', 'idb-keyval/LICENCE']]) {
    const { version } = JSON.parse(readFileSync(join(root, 'node_modules', dirname(file), 'package.json'), 'utf8'));
    out += section(`${name} ${version} (bundled into app.js)`, readFileSync(join(root, 'node_modules', file), 'utf8'));
  }
  out += section('The MNIST digits (www/data/mnist-10k.bin)', readFileSync(join(www, 'data', 'LICENSE-mnist.txt'), 'utf8'));
  // Both builds' crates: the default features (WebGPU) and the threaded one's.
  const metadata = JSON.parse(
    execFileSync('cargo', ['metadata', '--format-version', '1', '--filter-platform', 'wasm32-unknown-unknown', '--features', 'threads', '--locked'], {
      cwd: root,
      maxBuffer: 64 << 20,
    }),
  );
  const packages = new Map(metadata.packages.map((p) => [p.id, p]));
  const nodes = new Map(metadata.resolve.nodes.map((n) => [n.id, n]));
  const seen = new Set();
  const visit = (id) => {
    for (const dep of nodes.get(id).deps) {
      if (!dep.dep_kinds.some((k) => k.kind === null) || seen.has(dep.pkg)) continue;
      seen.add(dep.pkg);
      visit(dep.pkg);
    }
  };
  visit(metadata.resolve.root);
  const crates = [...seen].map((id) => packages.get(id)).sort((a, b) => a.name.localeCompare(b.name));
  out += section(
    `Rust crates compiled into latent_lab_bg.wasm and latent_lab_threads_bg.wasm (${crates.length}), with the licence each declares`,
    crates.map((c) => `${c.name} ${c.version}: ${c.license ?? `see ${c.license_file}`}${c.repository ? ` (${c.repository})` : ''}`).join('\n'),
  );
  return out;
}

const size = (path) => {
  const bytes = readFileSync(path);
  return `${(bytes.length / 1e6).toFixed(2)} MB raw, ${(gzipSync(bytes, { level: 9 }).length / 1e6).toFixed(2)} MB gzipped`;
};
for (const file of ['latent_lab_bg.wasm', 'latent_lab_threads_bg.wasm', 'app.js', 'app.css']) console.log(`www/dist/${file}: ${size(join(dist, file))}`);
for (const file of ['data/mnist-10k.bin', ...SHIPPED_LATENT_SIZES.map((l) => `models/latent-${l}.bpk`)]) console.log(`www/${file}: ${size(join(www, file))}`);
