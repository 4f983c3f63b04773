#!/usr/bin/env node
// Regenerates apps/api/src/auth/password/common-passwords.txt from the ranked common-password
// dictionary of @zxcvbn-ts/language-common (MIT), a development dependency. The app only reads
// the .txt at runtime; see apps/api/src/auth/password/COMMON-PASSWORDS.md.
//
//   node tools/extract-common-passwords.mjs            write the file
//   node tools/extract-common-passwords.mjs --check    fail when the file is out of date
//   node tools/extract-common-passwords.mjs --limit N  keep only the N most common entries

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dictionary } from '@zxcvbn-ts/language-common';

const OUTPUT = new URL('../apps/api/src/auth/password/common-passwords.txt', import.meta.url);
const MIN_ENTRIES = 10_000;

const args = process.argv.slice(2);
const check = args.includes('--check');
const limitIndex = args.indexOf('--limit');
const limit = limitIndex === -1 ? Infinity : Number(args[limitIndex + 1]);
if (!(limit >= MIN_ENTRIES)) {
  console.error(`--limit must be a number of at least ${MIN_ENTRIES}`);
  process.exit(1);
}

const ranked = dictionary['passwords-common'];
if (!Array.isArray(ranked) || ranked.length < MIN_ENTRIES) {
  console.error(`Expected a ranked list of at least ${MIN_ENTRIES} passwords in dictionary['passwords-common']`);
  process.exit(1);
}

// Most common first (the dictionary's own order is its rank), lower-cased, first occurrence wins.
const seen = new Set();
for (const entry of ranked) {
  if (seen.size >= limit) break;
  const password = String(entry).toLowerCase();
  // One entry per line: an entry with a line break or surrounding blanks could not round-trip.
  if (password.length === 0 || /[\r\n]/.test(password) || password !== password.trim()) continue;
  seen.add(password);
}

const text = `${[...seen].join('\n')}\n`;
const { version } = createRequire(import.meta.url)('@zxcvbn-ts/language-common/package.json');
const summary = `${seen.size} entries (${Buffer.byteLength(text)} bytes) from @zxcvbn-ts/language-common ${version}`;

if (check) {
  let current = '';
  try {
    current = readFileSync(OUTPUT, 'utf8');
  } catch {
    // missing file: out of date
  }
  if (current !== text) {
    console.error(`common-passwords.txt is out of date; expected ${summary}.`);
    console.error('Run: node tools/extract-common-passwords.mjs');
    process.exit(1);
  }
  console.log(`common-passwords.txt is up to date: ${summary}`);
} else {
  writeFileSync(OUTPUT, text);
  console.log(`Wrote ${summary}`);
}
