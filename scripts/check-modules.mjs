// Fails when the top-level modules of a crate import each other in a cycle.
//   node scripts/check-modules.mjs DIR...   (each DIR a crate's src/)
// A module is a file `src/x.rs` or a directory `src/x/`; an edge x → y is a `crate::y` path (in
// `use` lines, grouped `use crate::{y, …}`, or inline) anywhere in x's files, comments excluded.
// Child modules pointing at their parent (`super::`) are the parent's own business and ignored.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

function files(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.rs') ? [p] : [];
  });
}

function modulesOf(src) {
  const graph = new Map();
  for (const f of files(src)) {
    const rel = path.relative(src, f).split(path.sep);
    const mod = rel.length > 1 ? rel[0] : rel[0].replace(/\.rs$/, '');
    if (mod === 'lib' || mod === 'main') continue;
    const text = readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => !/^\s*\/\//.test(l))
      .join('\n');
    const deps = graph.get(mod) || new Set();
    for (const m of text.matchAll(/crate::(\w+)/g)) deps.add(m[1]);
    for (const m of text.matchAll(/crate::\{([^}]*)\}/g)) {
      for (const part of m[1].split(',')) {
        const name = part.trim().split('::')[0];
        if (name) deps.add(name);
      }
    }
    deps.delete(mod);
    graph.set(mod, deps);
  }
  for (const [m, deps] of graph) for (const d of [...deps]) if (!graph.has(d)) deps.delete(d);
  return graph;
}

function cycles(graph) {
  const found = [];
  const state = new Map();
  const stack = [];
  const visit = (m) => {
    state.set(m, 1);
    stack.push(m);
    for (const d of graph.get(m)) {
      if (state.get(d) === 1) found.push([...stack.slice(stack.indexOf(d)), d].join(' → '));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(m, 2);
  };
  for (const m of [...graph.keys()].sort()) if (!state.has(m)) visit(m);
  return found;
}

let bad = 0;
for (const src of process.argv.slice(2)) {
  const found = cycles(modulesOf(src));
  for (const c of found) console.error(`check-modules: ${src}: cycle ${c}`);
  bad += found.length;
}
if (bad) process.exit(1);
console.log(`check-modules: no module cycles in ${process.argv.slice(2).join(', ')}`);
