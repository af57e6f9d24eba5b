#!/usr/bin/env node
// Rewrites run records written by an older quanta in today's layout (serializeRecord, src/train/record.ts: one
// key a line, one log entry a line, losses to 6 significant digits), in place and atomically; `.json.gz`
// records stay gzipped (level 9, no name or time in the header, so the bytes depend on the record only).
// usage: node scripts/reformat-records.mjs FILE_OR_FOLDER ...   (a folder: its *.json and *.json.gz records)
// Needs the build (npm run build). A file that is not a run record is left alone and named on stderr.
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { isRunRecord, serializeRecord } from '../dist/train/record.js';

const args = process.argv.slice(2);
if (args.length === 0) {
  process.stderr.write('usage: node scripts/reformat-records.mjs FILE_OR_FOLDER ...\n');
  process.exit(2);
}
const files = [];
for (const a of args) {
  let st;
  try {
    st = statSync(a);
  } catch {
    process.stderr.write(`reformat-records: no such file or folder: ${a}\n`);
    process.exit(2);
  }
  if (st.isDirectory()) {
    for (const f of readdirSync(a).sort()) if (/\.json(\.gz)?$/.test(f)) files.push(join(a, f));
  } else {
    files.push(a);
  }
}
let changed = 0;
for (const f of files) {
  const gz = f.endsWith('.gz');
  const raw = readFileSync(f);
  const record = JSON.parse((gz ? gunzipSync(raw) : raw).toString('utf8'));
  if (!isRunRecord(record)) {
    process.stderr.write(`reformat-records: not a run record, left alone: ${f}\n`);
    continue;
  }
  const text = Buffer.from(serializeRecord(record), 'utf8');
  const out = gz ? gzipSync(text, { level: 9 }) : text;
  if (out.equals(raw)) continue;
  const tmp = `${f}.reformat-${process.pid}.tmp`;
  writeFileSync(tmp, out);
  renameSync(tmp, f);
  changed++;
}
process.stdout.write(`reformat-records: ${changed} of ${files.length} records rewritten\n`);
