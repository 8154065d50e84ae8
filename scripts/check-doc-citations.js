#!/usr/bin/env node
/**
 * Checks the documentation citations in source comments, tests, benchmarks and scripts:
 * - every `docs/<file>.md` cited exists, and every section cited after it (`docs/recon.md §8`,
 *   `§2–§4`, `§5, §6`, `§6 and §13`, `§8 step 3`) is a numbered heading of that file (`## 8. …`);
 * - nothing cites the design notes and specs that are not in the repository: the design
 *   document, the spec folder and its landscape and SKS-observation notes, the shared folder
 *   (the patterns are in EXTERNAL, spelt so that a plain grep for them does not find this file).
 *
 * Usage: node scripts/check-doc-citations.js [PATH…]   (default: the paths below)
 * Prints one line per problem and a summary; exits 1 if there is any problem.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DEFAULT_PATHS = ['packages', 'test', 'bench', 'scripts', 'docs', 'README.md'];
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git']);
const TEXT_FILE = /\.(ts|js|sh|md)$/;

/** `docs/x.md` and the section list right after it. */
const CITATION = /docs\/([\w.-]+\.md)((?:(?:\s*,\s*|\s*[–-]\s*|\s+and\s+|\s+)§\s?\d+(?:\s+steps?\s+\d+(?:[–-]\d+)?)?)*)/g;
/** Citations of files outside the repository. */
const EXTERNAL = new RegExp(['DESIGN\\.md', 'spec\\/[\\w-]+\\.md', ['landscape', '§'].join(' '), ['sks', 'observed'].join('-'), 'shared\\/'].join('|'));

function files(p) {
  const abs = path.resolve(ROOT, p);
  const st = fs.statSync(abs);
  if (st.isFile()) return TEXT_FILE.test(abs) ? [abs] : [];
  return fs
    .readdirSync(abs, { withFileTypes: true })
    .filter((e) => !SKIP_DIRS.has(e.name))
    .flatMap((e) => files(path.join(abs, e.name)));
}

const sectionCache = new Map();
/** The numbered `## N.` headings of a docs file, or undefined if it does not exist. */
function sectionsOf(doc) {
  if (!sectionCache.has(doc)) {
    const file = path.join(ROOT, 'docs', doc);
    sectionCache.set(doc, fs.existsSync(file) ? new Set([...fs.readFileSync(file, 'utf8').matchAll(/^## (\d+)\./gm)].map((m) => Number(m[1]))) : undefined);
  }
  return sectionCache.get(doc);
}

const problems = [];
let citations = 0;
const cited = new Map();
for (const file of (process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_PATHS).flatMap(files)) {
  const rel = path.relative(ROOT, file);
  if (rel === path.relative(ROOT, __filename)) continue;
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const where = `${rel}:${i + 1}`;
      if (EXTERNAL.test(line)) problems.push(`${where}: cites a file outside the repository: ${line.trim()}`);
      for (const m of line.matchAll(CITATION)) {
        citations++;
        const doc = m[1];
        const sections = [...m[2].matchAll(/§\s?(\d+)/g)].map((s) => Number(s[1]));
        const have = sectionsOf(doc);
        if (!have) {
          problems.push(`${where}: docs/${doc} does not exist`);
          continue;
        }
        cited.set(doc, (cited.get(doc) ?? 0) + 1);
        for (const n of sections) if (!have.has(n)) problems.push(`${where}: docs/${doc} has no section §${n}`);
      }
    });
}

for (const p of problems) console.log(p);
const perDoc = [...cited].map(([doc, n]) => `docs/${doc} ${n}`).join(', ');
console.log(`${citations} citations of docs/ (${perDoc}); ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
process.exit(problems.length ? 1 : 0);
