// The built wasm module is linked so that calling it stays cheap. cubecl's IR registers thousands
// of static constructors; a module that never runs them itself is linked "command-style", and
// the linker then runs them all again at the top of every exported function: each call from JS,
// even a getter, cost 15–20 ms. src/web.rs runs them once at instantiation, which makes the
// linker leave the exports alone. Checked here on the module itself, by reading which function
// each export's body calls first: in a command-style module, most of them call the same one.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const wasm = join(import.meta.dirname, '..', '..', 'pkg', 'latent_lab_bg.wasm');

/** The exported functions' indices and, for each defined function, its body's offset. */
function parse(bytes) {
  let at = 8;
  const leb = () => {
    let value = 0;
    let shift = 0;
    let byte;
    do {
      byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const limits = () => {
    const flags = leb();
    leb();
    if (flags & 1) leb();
  };
  let imported = 0;
  const exports = [];
  const bodies = [];
  while (at < bytes.length) {
    const section = bytes[at++];
    const size = leb();
    const end = at + size;
    if (section === 2) {
      for (let n = leb(); n > 0; n--) {
        const skip = () => {
          const length = leb();
          at += length;
        };
        skip(); // module name
        skip(); // field name
        const kind = bytes[at++];
        if (kind === 0) (leb(), imported++);
        else if (kind === 1) (at++, limits());
        else if (kind === 2) limits();
        else if (kind === 3) at += 2;
        else if (kind === 4) (at++, leb());
      }
    } else if (section === 7) {
      for (let n = leb(); n > 0; n--) {
        const length = leb();
        const name = Buffer.from(bytes.subarray(at, at + length)).toString();
        at += length;
        const kind = bytes[at++];
        const index = leb();
        if (kind === 0) exports.push({ name, index });
      }
    } else if (section === 10) {
      for (let n = leb(); n > 0; n--) {
        const size = leb();
        bodies.push(at);
        at += size;
      }
    }
    at = end;
  }
  /** The function a body calls first, if its first instruction is a call. */
  const firstCall = (index) => {
    at = bodies[index - imported];
    for (let groups = leb(); groups > 0; groups--) (leb(), at++);
    return bytes[at] === 0x10 ? (at++, leb()) : null;
  };
  return exports.filter((e) => e.index >= imported).map((e) => ({ ...e, firstCall: firstCall(e.index) }));
}

test('exported functions do not re-run the static constructors', () => {
  const exports = parse(readFileSync(wasm));
  assert.ok(exports.length > 20, `${exports.length} exported functions`);
  const callers = new Map();
  for (const { name, firstCall } of exports) {
    if (firstCall === null) continue;
    callers.set(firstCall, [...(callers.get(firstCall) ?? []), name]);
  }
  const [callee, names] = [...callers].sort((a, b) => b[1].length - a[1].length)[0] ?? [null, []];
  assert.ok(names.length <= 2, `${names.length} exports start by calling function ${callee}: ${names.join(', ')}`);
});
