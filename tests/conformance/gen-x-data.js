// Writes src/platform/text/x_data.rs: the data Herald's X length counter (src/platform/text/x.rs)
// needs from the npm packages `twitter-text` 3.1.0 and `twemoji-parser` 11.0.2:
//
// - the gTLD and ccTLD alternatives of twitter-text's URL regex, in the regex's own order
//   (the order decides which alternative wins);
// - twemoji-parser's emoji regex, translated from UTF-16 surrogate pairs to code points
//   in the syntax of the Rust `regex` crate, alternatives kept in the same order;
// - for the tests only, every emoji sequence that regex can match, expanded from it.
//
// Run from the repository root after `npm ci --prefix tests/conformance`:
//   node tests/conformance/gen-x-data.js
// `--check` compares with the committed file instead of writing it (exit status 1 if it
// differs).
'use strict';
const fs = require('fs');
const path = require('path');

const nm = path.join(__dirname, 'node_modules');
const validGTLD = require(path.join(nm, 'twitter-text/dist/regexp/validGTLD')).default ||
  require(path.join(nm, 'twitter-text/dist/regexp/validGTLD'));
const validCCTLD = require(path.join(nm, 'twitter-text/dist/regexp/validCCTLD')).default ||
  require(path.join(nm, 'twitter-text/dist/regexp/validCCTLD'));
const extractUrl = require(path.join(nm, 'twitter-text/dist/regexp/extractUrl'));
if (extractUrl.flags !== 'gi') fail(`extractUrl flags changed: ${extractUrl.flags}`);
const validPunycode = require(path.join(nm, 'twitter-text/dist/regexp/validPunycode'));
const twemojiRegex = require(path.join(nm, 'twemoji-parser/dist/lib/regex')).default;
const twemoji = require(path.join(nm, 'twemoji-parser'));
const ttVersion = require(path.join(nm, 'twitter-text/package.json')).version;
const twVersion = require(path.join(nm, 'twemoji-parser/package.json')).version;

function fail(msg) {
  console.error(`gen-x-data: ${msg}`);
  process.exit(1);
}

// --- TLD lists ---------------------------------------------------------------------------

const LOOKAHEAD = '(?=[^0-9a-zA-Z@+-]|$)';
function tldList(re, name) {
  const src = re.source;
  const head = '(?:(?:';
  const tail = ')' + LOOKAHEAD + ')';
  if (!src.startsWith(head) || !src.endsWith(tail)) fail(`${name}: unexpected shape`);
  const list = src.slice(head.length, src.length - tail.length).split('|');
  for (const t of list) {
    if (!t || /[\\()[\]{}.*+?^$|]/.test(t)) fail(`${name}: alternative ${JSON.stringify(t)} is not a literal`);
  }
  if (new Set(list).size !== list.length) fail(`${name}: duplicates`);
  return list;
}
const gtlds = tldList(validGTLD, 'validGTLD');
const cctlds = tldList(validCCTLD, 'validCCTLD');
if (validPunycode.source !== '(?:xn--[\\-0-9a-z]+)') fail(`validPunycode changed: ${validPunycode.source}`);

// --- twemoji regex -----------------------------------------------------------------------
// Parse the regex source into an AST. It only uses (?:…), (…), |, ?, [..] classes of \uXXXX
// escapes or ranges, and \uXXXX literals.

const src = twemojiRegex.source;
let pos = 0;
function peek() { return src[pos]; }
function unit(inClass = false) {
  // one \uXXXX escape (or a plain character) as a UTF-16 code unit
  if (src[pos] === '\\') {
    if (src[pos + 1] !== 'u') fail(`unsupported escape at ${pos}: ${src.slice(pos, pos + 6)}`);
    const v = parseInt(src.slice(pos + 2, pos + 6), 16);
    pos += 6;
    return v;
  }
  if (!inClass && '()[]|?*+{}.^$'.includes(src[pos])) fail(`unexpected ${src[pos]} at ${pos}`);
  return src.charCodeAt(pos++);
}
function parseAlt() {
  const alts = [parseSeq()];
  while (peek() === '|') { pos++; alts.push(parseSeq()); }
  return alts.length === 1 ? alts[0] : { t: 'alt', alts };
}
function parseSeq() {
  const items = [];
  while (pos < src.length && peek() !== '|' && peek() !== ')') {
    let atom;
    if (peek() === '(') {
      pos++;
      if (src.startsWith('?!', pos)) {
        // negative lookahead of one code unit: (?!\uXXXX)
        pos += 2;
        const v = unit();
        if (peek() !== ')') fail(`unsupported lookahead at ${pos}`);
        pos++;
        if (v !== 0xfe0e) fail('lookahead for something other than U+FE0E');
        items.push({ t: 'notfe0e' });
        if ('?*+{'.includes(peek())) fail('quantified lookahead');
        continue;
      }
      if (src.startsWith('?:', pos)) pos += 2;
      else if (src[pos] === '?') fail(`unsupported group at ${pos}`);
      atom = parseAlt();
      if (peek() !== ')') fail(`expected ) at ${pos}`);
      pos++;
      atom = { t: 'group', body: atom };
    } else if (peek() === '[') {
      pos++;
      if (peek() === '^') fail('negated class');
      const ranges = [];
      while (peek() !== ']') {
        if (peek() === '[') fail(`[ in a class at ${pos}`);
        const a = unit(true);
        let b = a;
        if (peek() === '-' && src[pos + 1] !== ']') { pos++; b = unit(true); }
        ranges.push([a, b]);
      }
      pos++;
      atom = { t: 'class', ranges };
    } else {
      atom = { t: 'unit', v: unit() };
    }
    if (peek() === '?') { pos++; atom = { t: 'opt', body: atom }; }
    if ('*+{'.includes(peek())) fail(`unsupported quantifier at ${pos}`);
    items.push(atom);
  }
  return { t: 'seq', items };
}
const ast = parseAlt();
if (pos !== src.length) fail(`trailing input at ${pos}`);

const isHigh = (u) => u >= 0xd800 && u <= 0xdbff;
const isLow = (u) => u >= 0xdc00 && u <= 0xdfff;
const isSurr = (u) => u >= 0xd800 && u <= 0xdfff;

// Translate to code points: a high-surrogate literal must be followed, in the same sequence,
// by a low-surrogate literal or a class of low surrogates; nothing else may hold surrogates.
// Result nodes: {t:'cp', ranges:[[a,b]...]} (one code point from the ranges), seq, alt, group, opt.
function translate(node) {
  switch (node.t) {
    case 'alt': return { t: 'alt', alts: node.alts.map(translate) };
    case 'group': return { t: 'group', body: translate(node.body) };
    case 'opt': return { t: 'opt', body: translate(node.body) };
    case 'notfe0e': return node;
    case 'unit':
      if (isSurr(node.v)) fail('lone surrogate literal outside a pair');
      return { t: 'cp', ranges: [[node.v, node.v]] };
    case 'class':
      for (const [a, b] of node.ranges) {
        if (a > b) fail('bad range');
        if (!(b < 0xd800 || a > 0xdfff)) fail('class with surrogates outside a pair');
      }
      return { t: 'cp', ranges: node.ranges };
    case 'seq': {
      const out = [];
      const it = node.items;
      for (let i = 0; i < it.length; i++) {
        const a = it[i];
        if (a.t === 'unit' && isHigh(a.v)) {
          const b = it[i + 1];
          let lows;
          if (b && b.t === 'unit' && isLow(b.v)) lows = [[b.v, b.v]];
          else if (b && b.t === 'class' && b.ranges.every(([x, y]) => isLow(x) && isLow(y))) lows = b.ranges;
          else fail('high surrogate not followed by low surrogate(s)');
          const base = 0x10000 + ((a.v - 0xd800) << 10);
          out.push({ t: 'cp', ranges: lows.map(([x, y]) => [base + x - 0xdc00, base + y - 0xdc00]) });
          i++;
        } else {
          out.push(translate(a));
        }
      }
      return { t: 'seq', items: out };
    }
    default: fail(`node ${node.t}`);
  }
}
const cpAst = translate(ast);

const hex = (c) => `\\x{${c.toString(16).toUpperCase()}}`;
function toRust(node) {
  switch (node.t) {
    case 'alt': return node.alts.map(toRust).join('|');
    case 'group': return `(?:${toRust(node.body)})`;
    case 'opt': {
      const inner = toRust(node.body);
      return (node.body.t === 'cp' || node.body.t === 'group' ? inner : `(?:${inner})`) + '?';
    }
    case 'cp':
      if (node.ranges.length === 1 && node.ranges[0][0] === node.ranges[0][1]) return hex(node.ranges[0][0]);
      return '[' + node.ranges.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join('') + ']';
    case 'seq': return node.items.map(toRust).join('');
    // The only capture groups: empty markers where JS says (?!\uFE0E). The Rust matcher
    // rejects a match in which such a marker is followed by U+FE0E; the checks below prove
    // that JS then has no match at that position at all.
    case 'notfe0e': return '()';
    default: fail(`node ${node.t}`);
  }
}
const rustRegex = toRust(cpAst);

// Expand every string the regex can match (it has no unbounded quantifier).
function expand(node) {
  switch (node.t) {
    case 'alt': return node.alts.flatMap(expand);
    case 'group': return expand(node.body);
    case 'opt': return ['', ...expand(node.body)];
    case 'notfe0e': return ['\u0000'];
    case 'cp': {
      const out = [];
      for (const [a, b] of node.ranges) for (let c = a; c <= b; c++) out.push(String.fromCodePoint(c));
      return out;
    }
    case 'seq': {
      let acc = [''];
      for (const item of node.items) {
        const next = expand(item);
        const res = [];
        for (const a of acc) for (const b of next) res.push(a + b);
        acc = res;
      }
      return acc;
    }
    default: fail(`node ${node.t}`);
  }
}
const expanded = expand(cpAst);
if (/\u0000/.test(src)) fail('NUL in the regex');
let markers = 0;
for (const s of expanded) {
  const k = s.indexOf('\u0000');
  if (k < 0) continue;
  if (s.indexOf('\u0000', k + 1) >= 0) fail('two lookaheads on one path');
  markers++;
  const re = new RegExp(twemojiRegex.source, 'y');
  if (re.exec(s.slice(0, k) + '\ufe0e')) fail(`${JSON.stringify(s.slice(0, k))} + U+FE0E matches in JS`);
}
if (!markers) fail('no lookahead paths found');
const sequences = [...new Set(expanded.map((s) => s.replace('\u0000', '')))].sort();
// Sanity: each expanded string is matched by the JS regex from its start; record whether
// twemoji.parse sees it as exactly one emoji (the tests check the Rust side on both kinds).
let whole = 0;
for (const s of sequences) {
  const re = new RegExp(twemojiRegex.source, 'y');
  if (!re.exec(s)) fail(`expanded ${JSON.stringify(s)} does not match the regex`);
  const ents = twemoji.parse(s);
  if (ents.length === 1 && ents[0].text === s) whole++;
}

// --- character classes of the URL regexes -----------------------------------------------
// twitter-text's URL regexes run with the i flag and without the u flag, so they see UTF-16
// code units and fold case by JS's own rule. Rather than translate that, each class is
// measured: every BMP code unit is tried against it in JS, and the matching units are written
// out as a `regex` crate class without any flag. The Rust side runs these classes over a copy
// of the text where each surrogate is replaced by a private-use placeholder (U+E000 for high,
// U+E001 for low), so the classes must treat the placeholders as they treat surrogates.
const rx = (name) => {
  const m = require(path.join(nm, 'twitter-text/dist/regexp', name));
  return m.default || m;
};
const latin = rx('latinAccentChars').source;
const pathEnding = rx('validUrlPathEndingChars').source;
const pathEndClass = pathEnding.slice(0, pathEnding.indexOf(']|') + 1);
if (!pathEndClass.startsWith('[') || pathEndClass.length < 10) fail('validUrlPathEndingChars changed');
const classSources = {
  DOMAIN_CHAR: rx('validDomainChars').source,
  URL_PRECEDING: rx('validUrlPrecedingChars').source.replace(/\|\^\)$/, ')'),
  PATH_CHAR: rx('validGeneralUrlPathChars').source,
  PATH_END_CHAR: pathEndClass,
  QUERY_CHAR: rx('validUrlQueryChars').source,
  QUERY_END_CHAR: rx('validUrlQueryEndingChars').source,
  ASCII_DOMAIN_CHAR: `[\\-a-z0-9${latin}]`,
  PUNYCODE_CHAR: '[\\-0-9a-z]',
  TCO_SLUG_CHAR: '[a-z0-9]',
  AFTER_TLD: '[^0-9a-zA-Z@+-]',
};
if (!rx('validAsciiDomain').source.startsWith(`(?:(?:[\\-a-z0-9${latin}]+)\\.)+`)) fail('validAsciiDomain changed');
if (!rx('validTcoUrl').source.startsWith('^https?:\\/\\/t\\.co\\/([a-z0-9]+)')) fail('validTcoUrl changed');
function measureClass(name, source) {
  const re = new RegExp(`^(?:${source})$`, 'i');
  const ranges = [];
  for (let u = 0; u < 0x10000; u++) {
    if (isSurr(u)) continue;
    if (re.test(String.fromCharCode(u))) {
      const last = ranges[ranges.length - 1];
      if (last && last[1] === u - 1) last[1] = u; else ranges.push([u, u]);
    }
  }
  const hi = re.test('\ud800'), lo = re.test('\udc00');
  if (hi !== lo || hi !== re.test('\ue000') || hi !== re.test('\ue001')) fail(`${name}: placeholders differ from surrogates`);
  return '[' + ranges.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join('') + ']';
}
const classes = Object.entries(classSources).map(([name, source]) => [name, measureClass(name, source)]);

// Case variants of the characters in the TLDs, by JS's /i rule (sets of more than one).
const tldChars = [...new Set([...gtlds, ...cctlds].join(''))].sort();
const caseSets = [];
for (const ch of tldChars) {
  if (ch.length !== 1) fail('astral character in a TLD');
  const re = new RegExp(`^${ch.replace(/[-\\^$*+?.()|[\]{}]/g, '\\$&')}$`, 'i');
  let set = ch;
  for (let u = 0; u < 0x10000; u++) if (!isSurr(u) && u !== ch.charCodeAt(0) && re.test(String.fromCharCode(u))) set += String.fromCharCode(u);
  for (const other of set.slice(1)) if (tldChars.includes(other)) fail(`${ch} and ${other} both in TLDs`);
  if (set.length > 1) caseSets.push(set);
}

// --- output ------------------------------------------------------------------------------

const rustStr = (s) => '"' + [...s].map((ch) => {
  const c = ch.codePointAt(0);
  if (ch === '"' || ch === '\\') return '\\' + ch;
  if (c < 0x20 || c === 0x7f || (c >= 0x80 && /[\p{M}\p{Cf}\p{Z}\p{Cc}]/u.test(ch)) || c === 0xfe0f) {
    return `\\u{${c.toString(16)}}`;
  }
  return ch;
}).join('') + '"';

// A string constant laid out as rustfmt lays it out, so `cargo fmt` leaves the file alone.
function strConst(name, value) {
  const head = `pub(crate) const ${name}: &str =`;
  const lit = rustStr(value) + ';';
  if (head.length + 1 + lit.length <= 100 || 4 + lit.length > 100) return `${head} ${lit}\n`;
  return `${head}\n    ${lit}\n`;
}

function list(name, doc, items, attr = '') {
  let s = `/// ${doc}\n${attr}pub(crate) const ${name}: &[&str] = &[\n`;
  for (const t of items) s += `    ${rustStr(t)},\n`;
  return s + '];\n';
}

let out =
  `//! Generated by tests/conformance/gen-x-data.js from the npm packages \`twitter-text\` ${ttVersion}\n` +
  `//! and \`twemoji-parser\` ${twVersion}; do not edit.\n\n` +
  list('GTLDS', 'twitter-text `validGTLD` alternatives, in the regex\'s order (matched case-insensitively).', gtlds) + '\n' +
  list('CCTLDS', 'twitter-text `validCCTLD` alternatives, in the regex\'s order (matched case-insensitively).', cctlds) + '\n' +
  list('TLD_CASE_SETS', 'Characters that JS\'s /i treats as equal to a character of the TLDs: that character first, then the others.', caseSets) + '\n' +
  classes.map(([name, cls]) => `/// Code units \`${classSources[name].replace(/`/g, "'")}\` matches under /i (BMP only).\n${strConst(name, cls)}`).join('\n') + '\n' +
  '/// twemoji-parser\'s emoji regex with surrogate pairs turned into code points, in\n' +
  '/// `regex` crate syntax; the alternatives keep their order.\n' +
  strConst('TWEMOJI_REGEX', rustRegex) + '\n' +
  list('TWEMOJI_SEQUENCES', `Every string TWEMOJI_REGEX can match (${sequences.length}; ${whole} of them twemoji.parse reads as one whole emoji), sorted. For tests.`,
    sequences, '#[cfg(test)]\n');

const target = path.join(__dirname, '..', '..', 'src', 'platform', 'text', 'x_data.rs');
if (process.argv.includes('--check')) {
  const cur = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
  if (cur !== out) fail('src/platform/text/x_data.rs is not what gen-x-data.js produces');
  console.log('x_data.rs is up to date');
} else {
  fs.writeFileSync(target, out);
  console.log(`${gtlds.length} gTLDs, ${cctlds.length} ccTLDs, ${sequences.length} emoji sequences (${whole} whole), ${out.length} bytes`);
}
