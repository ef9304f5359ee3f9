// Mastodon's status length, as its server computes it (the reference for
// Herald's Counter::Mastodon). Mastodon publishes no counter package, so this
// module runs Mastodon's own rules on the npm package twitter-text 3.1.0:
//
//   StatusLengthValidator (app/validators/status_length_validator.rb):
//     a blank text counts 0; otherwise the URLs that
//     `Extractor.extract_urls_with_indices(text, extract_url_without_protocol: false)`
//     finds and the mentions that `Extractor.extract_mentions_or_lists_with_indices`
//     finds are taken together, overlapping ones removed
//     (`remove_overlapping_entities`), each URL is replaced by 23 characters and
//     each mention `@user@domain` by `@user`; the result is counted in extended
//     grapheme clusters.
//   The URL regex is twitter-text's `valid_url` with Mastodon's overrides
//     (config/initializers/twitter_regex.rb): other schemes, path characters
//     that are anything but white space, `<`, `>`, `(`, `)` and `?`, its own
//     list of characters a path may not end with, non-ASCII query characters.
//   Mentions use Mastodon's `Account::MENTION_RE` (app/models/account.rb).
//
// Mastodon runs these regexes in Ruby (Onigmo, on code points, `^` and `$` at
// line ends). Here they run in JavaScript with the `u` flag (code points) and
// with `^`/`$` written as Ruby means them. The pieces Mastodon does not
// override (the TLD lists, the domain label characters, the preceding
// characters, punycode, t.co) are built from twitter-text 3.1.0: the TLD lists
// are read from the package's own regexes, which hold the same lists as the
// Ruby gem 3.1.0 that Mastodon pins.
'use strict';

const validGTLD = require('twitter-text/dist/regexp/validGTLD');
const validCCTLD = require('twitter-text/dist/regexp/validCCTLD');
const punycode = require('punycode/');

const URL_PLACEHOLDER = 'x'.repeat(23);
const MAX_URL_LENGTH = 4096;
const MAX_TCO_SLUG_LENGTH = 40;
const URL_PROTOCOL_LENGTH = 'https://'.length;
const MAX_DOMAIN_LENGTH = 253;

// The alternatives of twitter-text's `(?:(?:a|b|…)(?=…))` TLD regexes.
function tldList(re) {
  const m = re.source.match(/^\(\?:\(\?:(.*)\)\(\?=\[\^0-9a-zA-Z@\+\\?-\]\|\$\)\)$/);
  if (!m) throw new Error(`unexpected TLD regex shape: ${re.source.slice(-40)}`);
  const list = m[1].split('|');
  if (list.length < 300 || list.some((t) => !t || /[\\()[\]]/.test(t))) {
    throw new Error('unexpected TLD list');
  }
  return list;
}
const GTLDS = tldList(validGTLD);
const CCTLDS = tldList(validCCTLD);

// --- twitter-text (Ruby gem 3.1.0, lib/twitter-text/regex.rb) ---------------
const DIRECTIONAL = '\\u061C\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069';
const INVALID = '\\uFFFE\\uFEFF\\uFFFF';
const UNICODE_SPACES = '\\u0009-\\u000D\\u0020\\u0085\\u00A0\\u1680\\u180E\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const PUNCTUATION = '!"#$%&\'()*+,\\-./:;<=>?@\\[\\]^_`{|}~';
const SPACE_CHARS = ' \\t\\n\\x0B\\f\\r';
const CTRL_CHARS = '\\x00-\\x1F\\x7F';
const LATIN_ACCENTS = '\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u00FF\\u0100-\\u024F\\u0253\\u0254' +
  '\\u0256\\u0257\\u0259\\u025B\\u0263\\u0268\\u026F\\u0272\\u0289\\u028B\\u02BB\\u0300-\\u036F\\u1E00-\\u1EFF';

// Ruby's `^` and `$` (without /m) match at the start and end of every line.
const BOL = '(?:^|(?<=\\n))';
const EOL = '(?=\\n|$)';

const DOMAIN_CHAR = `[^${DIRECTIONAL}${PUNCTUATION}${SPACE_CHARS}${CTRL_CHARS}${INVALID}${UNICODE_SPACES}]`;
const SUBDOMAIN = `(?:(?:${DOMAIN_CHAR}(?:[_\\-]|${DOMAIN_CHAR})*)?${DOMAIN_CHAR}\\.)`;
const DOMAIN_NAME = `(?:(?:${DOMAIN_CHAR}(?:[\\-]|${DOMAIN_CHAR})*)?${DOMAIN_CHAR}\\.)`;
const TLD_END = `(?=[^0-9a-z@+\\-]|${EOL})`;
const GTLD = `(?:(?:${GTLDS.join('|')})${TLD_END})`;
const CCTLD = `(?:(?:${CCTLDS.join('|')})${TLD_END})`;
const PUNYCODE = '(?:xn--[0-9a-z]+)';
const DOMAIN = `(?:${SUBDOMAIN}*${DOMAIN_NAME}(?:${GTLD}|${CCTLD}|${PUNYCODE}))`;
const PRECEDING = `(?:[^A-Z0-9@＠$#＃${INVALID}]|[${DIRECTIONAL}]|${BOL})`;
const PORT = '[0-9]+';
// twitter-text's own path characters and balanced parentheses: Mastodon's
// ending characters still refer to these (it overrides them after using them).
const TT_PATH_CHAR = `[a-z\\p{Script=Cyrillic}0-9!*';:=+,.$/%#\\[\\]\\p{Pd}_~&|@${LATIN_ACCENTS}]`;
const TT_BALANCED = `\\((?:${TT_PATH_CHAR}+|(?:${TT_PATH_CHAR}*\\(${TT_PATH_CHAR}+\\)${TT_PATH_CHAR}*))\\)`;

// --- Mastodon's overrides (config/initializers/twitter_regex.rb) -------------
const PATH_CHAR = '[^\\p{White_Space}<>()?]';
const PATH_END = `(?:[^\\p{White_Space}()?!*"'「」<>;:=,.$%\\[\\]~&|@]|(?:${TT_BALANCED}))`;
const BALANCED = `\\((?:${PATH_CHAR}+|(?:${PATH_CHAR}*\\(${PATH_CHAR}+\\)${PATH_CHAR}*))\\)`;
const UCHARS = '\\u{A0}-\\u{D7FF}\\u{F900}-\\u{FDCF}\\u{FDF0}-\\u{FFEF}\\u{10000}-\\u{1FFFD}' +
  '\\u{20000}-\\u{2FFFD}\\u{30000}-\\u{3FFFD}\\u{40000}-\\u{4FFFD}\\u{50000}-\\u{5FFFD}' +
  '\\u{60000}-\\u{6FFFD}\\u{70000}-\\u{7FFFD}\\u{80000}-\\u{8FFFD}\\u{90000}-\\u{9FFFD}' +
  '\\u{A0000}-\\u{AFFFD}\\u{B0000}-\\u{BFFFD}\\u{C0000}-\\u{CFFFD}\\u{D0000}-\\u{DFFFD}' +
  '\\u{E1000}-\\u{EFFFD}\\u{E000}-\\u{F8FF}\\u{F0000}-\\u{FFFFD}\\u{100000}-\\u{10FFFD}';
const QUERY_CHAR = `[a-z0-9!?*'();:&=+$/%#\\[\\]\\-_.,~|@\\^${UCHARS}]`;
const QUERY_END = `[a-z0-9_&=#/\\-${UCHARS}]`;
const PATH = `(?:(?:${PATH_CHAR}*(?:${BALANCED}${PATH_CHAR}*)*${PATH_END})|(?:${PATH_CHAR}+/))`;
const PROTOCOL = '(?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://';
// Groups: 1 all, 2 preceding, 3 URL, 4 protocol, 5 domain, 6 port, 7 path, 8 query.
const VALID_URL = new RegExp(
  `((${PRECEDING})((${PROTOCOL})?(${DOMAIN})(?::(${PORT}))?(/${PATH}*)?(\\?${QUERY_CHAR}*${QUERY_END})?))`,
  'giu',
);
const VALID_TCO_URL = /^https?:\/\/t\.co\/([a-z0-9]+)/iu;

// --- Mastodon's mentions (app/models/account.rb, app/lib/extractor.rb) -------
const WORD = '[\\p{L}\\p{M}\\p{Nd}\\p{Pc}]'; // Onigmo's [[:word:]] on UTF-8
const USERNAME = '[a-zA-Z0-9_]+(?:[.\\-]+[a-zA-Z0-9_]+)*';
const MENTION_RE = new RegExp(
  `(?<![=/]|${WORD})@((${USERNAME})(?:@${WORD}+(?:[.\\-]+${WORD}+)*)?)`,
  'gu',
);
const END_MENTION = new RegExp(`^(?:[@＠]|[${LATIN_ACCENTS}]+|://)`, 'iu');

// Ruby's String#length: code points.
const cpLength = (s) => [...s].length;

// twitter-text's is_valid_domain with idn-ruby's IDN::Idna.toASCII: every label
// must encode to 1..63 characters, and the URL with the encoded domain (and a
// protocol) to at most 4096.
function isValidDomain(urlLength, domain, protocol) {
  let encodedLength = 0;
  const labels = domain.split('.');
  for (const label of labels) {
    const ascii = /^[\x00-\x7F]*$/.test(label) ? label : 'xn--' + punycode.encode(label.toLowerCase());
    if (ascii.length < 1 || ascii.length > 63) return false;
    encodedLength += ascii.length;
  }
  encodedLength += labels.length - 1;
  const original = cpLength(domain);
  let length = urlLength;
  if (encodedLength > original) length += encodedLength - original;
  if (!protocol) length += URL_PROTOCOL_LENGTH;
  return length <= MAX_URL_LENGTH;
}

// Extractor.extract_urls_with_indices(text, extract_url_without_protocol: false),
// indices in UTF-16 units of `text`.
function extractUrls(text) {
  if (!text.includes(':')) return [];
  const urls = [];
  VALID_URL.lastIndex = 0;
  let m;
  while ((m = VALID_URL.exec(text))) {
    const url0 = m[3];
    const protocol = m[4];
    const domain = m[5];
    const start = m.index + m[2].length;
    let end = start + url0.length;
    if (!protocol) continue; // scheme-less: matched (and skipped over), not counted
    let url = url0;
    const tco = url.match(VALID_TCO_URL);
    if (tco) {
      if (tco[1] && cpLength(tco[1]) > MAX_TCO_SLUG_LENGTH) continue;
      url = tco[0];
      end = start + url.length;
    }
    if (!isValidDomain(cpLength(url), domain, protocol)) continue;
    urls.push({ url: true, start, end });
  }
  return urls;
}

function extractMentions(text) {
  if (!/[@＠]/.test(text)) return [];
  const out = [];
  MENTION_RE.lastIndex = 0;
  let m;
  while ((m = MENTION_RE.exec(text))) {
    const after = text.slice(m.index + m[0].length);
    if (END_MENTION.test(after)) continue;
    const screenName = m[1];
    const domain = screenName.split('@')[1];
    if (domain && cpLength(domain) > MAX_DOMAIN_LENGTH) continue;
    out.push({ screenName, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

function removeOverlapping(entities) {
  entities.sort((a, b) => a.start - b.start);
  const out = [];
  for (const e of entities) {
    if (out.length && out[out.length - 1].end > e.start) continue;
    out.push(e);
  }
  return out;
}

const segmenter = new Intl.Segmenter('und', { granularity: 'grapheme' });
const graphemes = (s) => {
  let n = 0;
  for (const _ of segmenter.segment(s)) n++;
  return n;
};

// ActiveSupport's String#blank?: only white space (or nothing).
const isBlank = (s) => /^[\p{White_Space}]*$/u.test(s);

/** The length Mastodon's StatusLengthValidator counts for a status text. */
function statusLength(text) {
  if (isBlank(text)) return 0;
  const entities = removeOverlapping([...extractUrls(text), ...extractMentions(text)]);
  let out = '';
  let last = 0;
  for (const e of entities) {
    out += text.slice(last, e.start);
    out += e.url ? URL_PLACEHOLDER : '@' + e.screenName.split('@')[0];
    last = e.end;
  }
  out += text.slice(last);
  return graphemes(out);
}

module.exports = { statusLength };
