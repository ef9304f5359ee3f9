#!/usr/bin/env node
// Computes the reference values for every string in corpus.json with the
// platforms' own reference code and writes expected.json.
//
//   X:       twitter-text parseTweet(text) with its default config (v3:
//            weighted, emoji-aware, URLs = 23, max 280).
//   Bluesky: @atproto/api RichText: graphemeLength, length (UTF-8 bytes) and
//            detectFacetsWithoutResolution() facets.
//   Mastodon: mastodon.js: Mastodon's StatusLengthValidator with its URL and
//            mention regexes, run on twitter-text (see README.md).
//
// Usage: node generate.js            (rewrites expected.json)
//        node generate.js --check    (exit 1 if corpus.json is not what
//                                     make-corpus.js produces, or with a diff
//                                     summary if the committed expected.json
//                                     differs from the reference packages)
//
// Needs `npm ci` in this directory first (exact versions: package-lock.json).
'use strict';

const fs = require('fs');
const path = require('path');
const twttr = require('twitter-text');
const { RichText } = require('@atproto/api');
const mastodon = require('./mastodon.js');

const DIR = __dirname;
const CORPUS = path.join(DIR, 'corpus.json');
const EXPECTED = path.join(DIR, 'expected.json');
const SHOW_DIFFS = 5;

// parseTweet(text) without options uses configs.defaults; make sure that is
// still the v3 config, so a dependency bump cannot silently change the rules.
function assertDefaultConfigIsV3() {
  const { defaults, version3 } = twttr.configs;
  if (JSON.stringify(defaults) !== JSON.stringify(version3) || defaults.version !== 3) {
    throw new Error('twitter-text default config is not version3; review before regenerating');
  }
}

const FEATURE_TYPES = {
  'app.bsky.richtext.facet#link': ['link', 'uri'],
  'app.bsky.richtext.facet#tag': ['tag', 'tag'],
  'app.bsky.richtext.facet#mention': ['mention', 'did'], // unresolved: holds the handle
};

function facetsOf(rt) {
  const out = [];
  for (const facet of rt.facets || []) {
    if (facet.features.length !== 1) {
      throw new Error(`facet with ${facet.features.length} features: ${JSON.stringify(facet)}`);
    }
    const feature = facet.features[0];
    const kind = FEATURE_TYPES[feature.$type];
    if (!kind) throw new Error(`unknown facet feature type ${feature.$type}`);
    out.push({
      byteStart: facet.index.byteStart,
      byteEnd: facet.index.byteEnd,
      type: kind[0],
      value: feature[kind[1]],
    });
  }
  // detectFacetsWithoutResolution() already sorts by byteStart with a stable
  // sort (ties keep detection order: mentions, links, tags, cashtags); this
  // is the same comparator, kept so the order never depends on library changes.
  out.sort((a, b) => a.byteStart - b.byteStart);
  return out;
}

function compute(text) {
  const tweet = twttr.parseTweet(text);
  const rt = new RichText({ text });
  rt.detectFacetsWithoutResolution();
  return {
    text,
    x: { weightedLength: tweet.weightedLength, valid: tweet.valid },
    bluesky: {
      graphemes: rt.graphemeLength,
      bytes: rt.length,
      facets: facetsOf(rt),
    },
    mastodon: { length: mastodon.statusLength(text) },
  };
}

function render(entries) {
  return '[\n' + entries.map((e) => JSON.stringify(e)).join(',\n') + '\n]\n';
}

function short(s, n = 70) {
  const j = JSON.stringify(s);
  return j.length > n ? j.slice(0, n) + '…' : j;
}

function main() {
  assertDefaultConfigIsV3();
  const corpus = JSON.parse(fs.readFileSync(CORPUS, 'utf8'));
  if (!Array.isArray(corpus) || corpus.some((s) => typeof s !== 'string')) {
    throw new Error('corpus.json must be an array of strings');
  }
  const entries = corpus.map(compute);
  const rendered = render(entries);

  if (!process.argv.includes('--check')) {
    fs.writeFileSync(EXPECTED, rendered);
    console.log(`wrote expected.json (${entries.length} entries)`);
    return 0;
  }

  // corpus.json must be exactly what make-corpus.js produces.
  const made = require('./make-corpus.js');
  const corpusText = fs.readFileSync(CORPUS, 'utf8');
  if (corpusText !== made.json) {
    console.error('corpus.json is stale (differs from make-corpus.js output): run `node make-corpus.js && node generate.js`');
    return 1;
  }

  if (!fs.existsSync(EXPECTED)) {
    console.error('expected.json is missing: run `node generate.js` in tests/conformance');
    return 1;
  }
  const committedText = fs.readFileSync(EXPECTED, 'utf8');
  if (committedText === rendered) {
    console.log(`expected.json is up to date (${entries.length} entries)`);
    return 0;
  }

  let committed;
  try {
    committed = JSON.parse(committedText);
  } catch (e) {
    console.error(`expected.json is not valid JSON (${e.message}); regenerate it`);
    return 1;
  }
  const lines = [];
  let differing = 0;
  const n = Math.max(entries.length, committed.length);
  for (let i = 0; i < n; i++) {
    const want = entries[i];
    const have = committed[i];
    if (JSON.stringify(want) === JSON.stringify(have)) continue;
    differing++;
    if (lines.length >= SHOW_DIFFS) continue;
    if (!want) {
      lines.push(`  #${i}: extra entry in expected.json: ${short(have && have.text)}`);
    } else if (!have) {
      lines.push(`  #${i}: missing from expected.json: ${short(want.text)}`);
    } else if (want.text !== have.text) {
      lines.push(`  #${i}: text differs: committed ${short(have.text)}, corpus ${short(want.text)}`);
    } else {
      const parts = [];
      for (const key of ['x', 'bluesky', 'mastodon']) {
        for (const field of Object.keys(want[key])) {
          const a = JSON.stringify(have[key] && have[key][field]);
          const b = JSON.stringify(want[key][field]);
          if (a !== b) parts.push(`${key}.${field}: committed ${a}, reference ${b}`);
        }
      }
      lines.push(`  #${i} ${short(want.text, 50)}\n      ${parts.join('\n      ')}`);
    }
  }
  if (differing === 0) {
    console.error('expected.json has the same values but different formatting; run `node generate.js`');
  } else {
    console.error(`expected.json differs from the reference packages in ${differing} of ${n} entries` +
      (differing > SHOW_DIFFS ? ` (first ${SHOW_DIFFS} shown)` : '') + ':');
    console.error(lines.join('\n'));
    console.error('If corpus.json or the pinned packages changed on purpose, run `node generate.js` in tests/conformance.');
  }
  return 1;
}

process.exitCode = main();
