#!/usr/bin/env node
// Writes corpus.json: the strings Herald's text counting is checked against.
//
// Deterministic on purpose: no randomness, no clock, no environment. Running it
// twice gives byte-identical output. Every string must be distinct (a duplicate
// is an error, so a typo that repeats a case is noticed).
//
// Usage: node make-corpus.js            (rewrites corpus.json)
//        node make-corpus.js --check    (exit 1 if corpus.json is stale)
// generate.js --check also requires this file and fails if corpus.json is stale.
'use strict';

const fs = require('fs');
const path = require('path');

const OUT = path.join(__dirname, 'corpus.json');

const cases = [];
const add = (...strings) => {
  for (const s of strings) cases.push(s);
};

// ---------------------------------------------------------------------------
// Edge: empty and whitespace-only (X: weight 0 is "not valid").
add('', ' ', '   ', '\n', '\t', '\r\n');

// ---------------------------------------------------------------------------
// Plain ASCII.
add(
  'a',
  'Tartu',
  'Hello, world!',
  'The quick brown fox jumps over the lazy dog.',
  'BETTER Interreg Europe project',
  'Partners: Tartu, Genova, Gävle, Birmingham, Nyíregyháza.',
  '~!@#$%^&*()_+`-=[]{}|;\':",./<>?\\',
  '0123456789',
  'ALL CAPS ANNOUNCEMENT',
  'trailing space ',
  ' leading space',
  'double  space',
);
// Various lengths, including the X (280), Bluesky (300) and Mastodon (500)
// limits and one either side.
for (const n of [2, 10, 63, 64, 65, 100, 139, 140, 141, 200, 279, 280, 281,
  299, 300, 301, 499, 500, 501, 1000]) {
  add('a'.repeat(n));
}
// A sentence repeated to just around the limits (word boundaries, spaces).
{
  const sentence = 'BETTER brings regions together. ';
  for (const n of [279, 280, 281, 300, 301]) {
    add(sentence.repeat(Math.ceil(n / sentence.length)).slice(0, n));
  }
}

// ---------------------------------------------------------------------------
// Latin-script languages.
add(
  // Estonian
  'õ', 'ä', 'ö', 'ü', 'š', 'ž', 'Õ', 'Ä', 'Ö', 'Ü', 'Š', 'Ž',
  'Tõravere',
  'Tõravere observatoorium',
  'Jõgeva, Põlva, Võru ja Pärnu',
  'Šokolaad ja žürii',
  'Tartu Ülikool ja Eesti Maaülikool',
  'Tere tulemast Tartusse! Projekt BETTER toob kokku viis piirkonda.',
  'Öö ja õõnes söögiõli.',
  'õäöüšž ÕÄÖÜŠŽ',
  // Hungarian
  'ő', 'ű', 'Ő', 'Ű',
  'Nyíregyháza',
  'Árvíztűrő tükörfúrógép',
  'ÁRVÍZTŰRŐ TÜKÖRFÚRÓGÉP',
  'Üdvözöljük Nyíregyházán! Őszi találkozó a BETTER projektben.',
  // Swedish
  'å', 'Å',
  'Gävle',
  'Välkommen till Gävle! Vi ses på mötet i höst.',
  'Åsa åt ärtsoppa på Öland.',
  // Italian
  'è', 'à', 'ù', 'ò', 'ì', 'È',
  'Genova',
  'Benvenuti a Genova! È già ora di partire, più o meno.',
  "Città, perché, virtù, caffè, l'università",
  // Others often seen in EU announcements
  'Łódź, Gdańsk, Kraków',
  'Straße, Fußgängerübergang',
  'Ærøskøbing',
  'Čeština: příliš žluťoučký kůň',
  'Ελληνικά: Καλημέρα',
  'Русский: Привет, мир',
  'ქართული ენა',
);
// Long runs of non-ASCII Latin letters around the limits.
for (const n of [280, 281, 300, 301]) add('õ'.repeat(n));
for (const n of [280, 300]) add('ű'.repeat(n));

// ---------------------------------------------------------------------------
// Punctuation and symbols with non-obvious X weights (X weighs U+2000-U+200D,
// U+2010-U+201F and U+2032-U+2037 as 1, the rest of U+2000.. as 2).
add(
  'Wait…', '…', '•', '• item one\n• item two', '€100', '£50', '¥1000', '→',
  '—', '–', '“quoted”', '‘single’', '«guillemets»', '„Anführung“',
  '†', '‰', '′', '″', '№', '°C', '½', '×', '÷', '±',
  '™', '®', '©', '℃', '∞', '✓', '★', '♥', '☺',
  '\u00A0', 'non\u00A0breaking', 'thin\u2009space', 'ideographic\u3000space',
  'soft\u00ADhyphen', 'word\u2060joiner', 'left\u200Eright\u200Fmarks',
  'line\u2028separator', 'para\u2029separator', 'next\u0085line',
  'vertical\u000Btab', 'form\u000Cfeed', 'null\u0000char', 'bell\u0007',
);

// ---------------------------------------------------------------------------
// Emoji.
add(
  '😀', '🎉', '🚀', '👍', '👍🏻', '👍🏼', '👍🏽', '👍🏾', '👍🏿', '👋🏽 Hello',
  '🏽', // lone skin-tone modifier
  '👨‍👩‍👧', '👨‍👩‍👧‍👦', '👩‍👩‍👦', '👨‍👨‍👧‍👧',
  '👩‍🔬', '🧑‍💻', '👨‍🏫', '👩🏽‍🚀', '👨🏿‍🌾', '🧑🏻‍⚕️', '👩‍⚖️',
  '🏳️‍🌈', '🏳‍🌈', '🏴‍☠️', '🏳️‍⚧️',
  '🧑‍🤝‍🧑', '👩🏼‍🤝‍👨🏾', '💑', '👩‍❤️‍👨', '👩‍❤️‍💋‍👨',
  // Newer sequences (Emoji 13-15), likely unknown to older tables.
  '❤️‍🔥', '❤️‍🩹', '😮‍💨', '😵‍💫', '🧔‍♂️', '🫠', '🫶🏽', '🫱🏼‍🫲🏿', '🐦‍⬛', '🙂‍↕️',
  '🪿', '🩷',
  // Text vs emoji presentation (with and without VS16 / VS15).
  '❤', '❤️', '❤︎', '☀', '☀️', '✔', '✔️', '✈', '✈️', '☎', '☎️',
  '©️', '®️', '™️', '↔', '↔️', '⭐', '⭐️', '⭐︎', '⚽', '♻', '♻️',
  'a\uFE0F', // stray VS16 after a letter
  '\uFE0F', // lone VS16
  // Keycaps.
  '1️⃣', '#️⃣', '*️⃣', '0️⃣', '1⃣', '#⃣', '🔟', '1️⃣2️⃣3️⃣',
  // Many emoji around the limits.
  '🎉'.repeat(140), '🎉'.repeat(141), '👨‍👩‍👧'.repeat(140), '👨‍👩‍👧'.repeat(141),
  '😀'.repeat(300), '😀'.repeat(301),
  '👍🏽👍🏽👍🏽',
  'Great news 🎉🎉🎉',
  'a😀b😀c',
  '😀\u200D😀', // ZWJ between two emoji that do not form a sequence
);

// ---------------------------------------------------------------------------
// Flags.
add(
  '🇪🇪', '🇭🇺', '🇸🇪', '🇮🇹', '🇬🇧', '🇪🇺', '🇺🇦',
  '🇪🇪🇭🇺', '🇪🇪🇭🇺🇸🇪🇮🇹🇬🇧', '🇪🇪 🇭🇺 🇸🇪 🇮🇹 🇬🇧',
  '🇪🇪🇭🇺🇸🇪🇮🇹🇬🇧🇪🇺🇪🇪🇭🇺🇸🇪🇮🇹🇬🇧🇪🇺',
  '🇪', // lone regional indicator
  '🇪🇪🇭', // odd number of regional indicators
  '🇦🇦', // unassigned pair
  '🇿🇿🇿',
  '🇽🇦🇪', // grapheme pairs are XA|E, but AE (UAE) is a real flag starting at the 2nd indicator
  '🇦🇦🇪🇪', '🇪🇪🇪', 'x🇪🇪y',
  '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '🏴󠁧󠁢󠁥󠁮󠁧󠁿', '🏴󠁧󠁢󠁷󠁬󠁳󠁿', // subdivision (tag sequence) flags
  '🏴',
  'Partners 🇪🇪🇮🇹🇸🇪🇬🇧🇭🇺 meet in Tartu',
  '🇪🇪'.repeat(140), '🇪🇪'.repeat(141),
);

// ---------------------------------------------------------------------------
// Combining marks, normalisation (X counts NFC; Bluesky counts as given).
add(
  'e\u0301', 'cafe\u0301', 'café',
  'To\u0303ravere', // decomposed õ
  'Ga\u0308vle', // decomposed ä
  'Nyi\u0301regyha\u0301za', // decomposed í á
  'o\u030B u\u030B', // decomposed ő ű
  'A\u030Asa', // decomposed Å
  'a\u0301\u0302\u0303\u0304', // stacked marks
  'q\u0301', // no precomposed form
  'x\u0323\u0307', // two marks, no precomposed form
  'Z\u0351\u036B\u0343\u036A\u0302\u036B\u033D\u034F\u0334\u0319\u0324\u031E\u0349\u035A\u032F\u031E\u0320\u034DA\u036B\u0357\u0334\u0362\u0335\u031C\u0330\u0354L\u0368\u0367\u0369\u0358\u0320G\u0311\u0357\u030E\u0305\u035B\u0341\u0334\u033B\u0348\u034D\u0354\u0339O\u0342\u030C\u030C\u0358\u0328\u0335\u0339\u033B\u031D\u0333',
  '\u0301', // lone combining mark
  ' \u0301', // combining mark on a space
  'e\u0301'.repeat(280), 'e\u0301'.repeat(281),
  'ñ', 'n\u0303',
  '\u212B', // ANGSTROM SIGN (NFC -> Å)
  '\u2126', // OHM SIGN (NFC -> Ω)
  'ﬁ', // ligature (NFC keeps it)
);

// ---------------------------------------------------------------------------
// CJK.
add(
  '中文', '台湾', '你好，世界！', '北京欢迎你',
  '日本語のテキスト', 'ひらがな', 'カタカナ', 'ｶﾀｶﾅ', '東京',
  '한국어', '안녕하세요', '한글',
  '\u1112\u1161\u11AB\u1100\u1173\u11AF', // 한글 as conjoining jamo (NFC composes)
  '\u1100\u1161', // 가 as jamo
  '\u1100', // lone leading jamo
  '\u3131\u314F', // compatibility jamo ㄱㅏ (no composition)
  'ＡＢＣ１２３', '。、「」',
  '字'.repeat(140), '字'.repeat(141), '字'.repeat(300), '字'.repeat(301),
  'BETTER プロジェクト in Tartu',
  '𠮷野家', // astral CJK (surrogate pair)
  '𠀀𠀁𠀂',
);

// ---------------------------------------------------------------------------
// Right-to-left scripts.
add(
  'مرحبا بالعالم',
  'مَرْحَبًا', // with harakat (combining)
  'שלום עולם',
  'שָׁלוֹם', // with niqqud (combining)
  'BETTER project في تارتو',
  'Meeting في Genova غدا at 10:00',
  'פגישה ב-Tartu ב-10:00',
  'می\u200Cخواهم', // Persian with ZWNJ
  '\u200Fمرحبا\u200E Tartu',
  '\u202Bembedded\u202C', // RLE ... PDF
  '\u2067isolate\u2069', // RLI ... PDI
  'مرحبا https://www.interregeurope.eu/better/ شكرا',
  'שלום #Tartu',
  'العربية #تارتو',
);

// ---------------------------------------------------------------------------
// Other scripts with clusters.
add(
  'नमस्ते', // Devanagari (virama)
  'क्षत्रिय', // Devanagari conjuncts
  'สวัสดี', // Thai
  'ᏣᎳᎩ', // Cherokee (U+13xx, outside X's weight-1 range)
  'ሰላም', // Ethiopic (U+12xx)
);

// ---------------------------------------------------------------------------
// Zero-width and invisible characters.
add(
  '\u200B', '\u200C', '\u200D', '\uFEFF', '\u2060',
  'a\u200Bb', 'Tartu\u200B', '\u200BTartu',
  'a\u200Cb', 'a\u200Db', 'a\uFEFFb', '\uFEFFhello', 'hello\uFEFF',
  '\u200B\u200B\u200B',
  '\u200D\u200D',
  '#Tartu\u200B', '#Tar\u200Btu', '@alice.bsky.social\u200B',
  'https://example.com\u200B', 'https://exa\u200Bmple.com',
);

// ---------------------------------------------------------------------------
// Newlines and tabs.
add(
  'line one\nline two',
  'line one\r\nline two',
  'line one\rline two',
  'col1\tcol2\tcol3',
  '\n\n\n',
  'para one\n\npara two\n\npara three',
  'trailing newline\n',
  '\nleading newline',
  'Tartu\n#BETTER2022',
  'https://example.com\nnext line',
  '\thttps://example.com',
  'text\n@alice.bsky.social',
  'mixed\n\t \r\n whitespace',
);

// ---------------------------------------------------------------------------
// URLs.
const urls = [
  'https://www.interregeurope.eu/better/',
  'https://twitter.com/InterregB',
  'http://example.com',
  'https://example.com',
  'https://example.com/',
  'https://example.com/path/to/page.html',
  'https://example.com/search?q=better&lang=et#results',
  'https://example.com:8080/port',
  'https://sub.domain.example.co.uk/a/b',
  'https://et.wikipedia.org/wiki/Tõravere',
  'https://hu.wikipedia.org/wiki/Nyíregyháza',
  'https://sv.wikipedia.org/wiki/Gävle',
  'https://et.wikipedia.org/wiki/T%C3%B5ravere',
  'https://en.wikipedia.org/wiki/Tartu_(city)',
  'https://ja.wikipedia.org/wiki/東京',
  'https://müller.de/straße',
  'https://xn--mller-kva.de/',
  'https://t.co/abc123XYZ',
  'https://bsky.app/profile/alice.bsky.social/post/3k2abc',
  'https://mastodon.social/@Gargron',
  'https://example.com/~user/file_name-1.txt',
  'https://127.0.0.1/local',
  'HTTPS://EXAMPLE.COM/UPPER',
  'example.com',
  'example.com/path',
  'www.interregeurope.eu/better/',
  'www.example.org',
  'Tartu.ee',
  'Example.COM',
  'tartu.ee/en',
  'interregeurope.eu',
  'sub.example.co.uk',
  'example.notarealtld',
  'example.c',
  'my-site.com',
  'ftp://example.com/file',
  'mailto:info@example.com',
  'file.txt',
  'v1.2.3',
  'e.g.',
  'i.e. this',
];
for (const u of urls) add(u);
for (const u of urls.slice(0, 10)) add(`Read more: ${u} today`);
// Trailing punctuation and enclosing brackets/quotes.
{
  const probes = [
    'https://www.interregeurope.eu/better/',
    'https://example.com',
    'https://example.com/path',
    'example.com',
    'www.interregeurope.eu/better/',
    'https://et.wikipedia.org/wiki/Tõravere',
  ];
  const trailers = ['.', ',', ')', '!', '?', '"', "'", ':', ';', '…', '.)', ').', '!!', '...', '’', '”'];
  for (const u of probes) {
    for (const t of trailers) add(u + t);
  }
  for (const u of probes) {
    add(`(${u})`, `(${u}).`, `"${u}"`, `'${u}'`, `«${u}»`, `[${u}]`, `<${u}>`, `“${u}”`, `(see ${u})`);
  }
  add(
    'https://en.wikipedia.org/wiki/Tartu_(city).',
    '(https://en.wikipedia.org/wiki/Tartu_(city))',
    'https://example.com/a(b)c)',
    'https://example.com/.)',
    'https://example.com??',
    'https://example.com/?',
    'https://example.com/#',
    'https://example.com/path?x=1.',
    'https://example.com,https://example.org',
    'https://example.com https://example.org',
    'https://example.comhttps://example.org',
    'text:https://example.com',
    'text.https://example.com',
    'x@example.com',
    'info@better.eu',
    '.example.com',
    '-example.com',
    '/example.com',
    '_example.com',
    'a.example.com',
    '@example.com',
    '#example.com',
  );
}
// Very long URLs. twitter-text rejects URLs over its 4096 limit (with the
// protocol counted twice), so probe both sides.
{
  const base = 'https://www.interregeurope.eu/better/';
  add(base + 'a'.repeat(100));
  add(base + 'x/'.repeat(150));
  add(`Long link ${base}${'segment-'.repeat(40)}end`);
  // url.length + 'https://'.length <= 4096  <=>  url.length <= 4088
  add(base + 'a'.repeat(4088 - base.length));
  add(base + 'a'.repeat(4089 - base.length));
  add('example.com/' + 'a'.repeat(4088 - 'example.com/'.length));
  add('example.com/' + 'a'.repeat(4089 - 'example.com/'.length));
}
// Exactly 280 on X: 256 letters + space + URL (23) = 280.
{
  const u = 'https://www.interregeurope.eu/better/';
  add('a'.repeat(256) + ' ' + u);
  add('a'.repeat(257) + ' ' + u);
  add('õ'.repeat(256) + ' ' + u);
  add(u + ' ' + 'b'.repeat(256));
  // Many URLs: 11 × 23 + 10 spaces = 263.
  add(Array(11).fill(u).join(' '));
  add(Array(12).fill(u).join(' '));
  add(Array(13).fill('https://example.com').join(' '));
}

// ---------------------------------------------------------------------------
// Hashtags and cashtags.
add(
  '#Tartu', '#Nyíregyháza', '#BETTER2022', '#123', '#2022better', '#tag_with_underscore',
  '#Gävle', '#Tõravere', '#Genova', '#Birmingham', '#InterregEurope',
  '#_underscore_start', '#tag_', '#a', '#1a', '#a1',
  '#Tartu.', '#Tartu,', '#Tartu!', '#Tartu?', '#Tartu:', '#Tartu;', '#Tartu)',
  '(#Tartu)', '"#Tartu"', '#Tartu\'s', '#Tartu…', '#Tartu...', '#Tartu-Genova',
  'a#Tartu', 'word #Tartu word', '#Tartu#Genova', '#Tartu #Genova #Gävle',
  '##double', '# space', '#', '＃Tartu', '#️⃣ keycap', '#🎉', '#family👨‍👩‍👧', '#C++',
  '#東京', '#한국', '#مرحبا', '#tag\u00A0nbsp', '#tag\u3000ideo', '#tag\u0085nel',
  '#' + 'a'.repeat(64), '#' + 'a'.repeat(65), '#' + 'õ'.repeat(64), '#' + '😀'.repeat(32),
  '#' + '😀'.repeat(33),
  '$BTC', '$AAPL.', '$TOOLONG', '($EUR)', 'price $5', '$a1b2', 'x$BTC',
);

// ---------------------------------------------------------------------------
// Mentions.
add(
  '@user', '@InterregB', '@user@mastodon.social', '@handle.bsky.social',
  '@alice.bsky.social', '@alice.test', '@Alice.Bsky.Social', '@alice.bsky.social.',
  '@alice.bsky.social,', '(@alice.bsky.social)', 'cc @alice.bsky.social @bob.example.com',
  'email@alice.bsky.social', '@alice.notarealtld', '@-alice.com', '@a.b.c.example.org',
  '@alice.bsky.social\'s post', '@alice_underscore.bsky.social', '@Gargron@mastodon.social',
  '@@alice.bsky.social', '@', '@ alice', 'Thanks @InterregB and @better.bsky.social!',
  '@did:plc:abc123',
  'https://example.com/(@alice.bsky.social)', // mention facet inside a link facet
  'https://example.com/x(example.org)',
);

// ---------------------------------------------------------------------------
// Realistic announcements mixing everything.
add(
  'BETTER Interreg Europe project: partners from Tartu, Genova, Gävle, Birmingham and Nyíregyháza meet in Tartu this week! 🇪🇪🇮🇹🇸🇪🇬🇧🇭🇺 https://www.interregeurope.eu/better/ #BETTER2022',
  'Tere tulemast Tartusse! 🎉 The BETTER partners visit Tõravere observatory today. More: https://et.wikipedia.org/wiki/Tõravere #Tartu @InterregB',
  'Üdvözöljük Nyíregyházán! The #BETTER2022 study visit starts tomorrow. Programme: www.interregeurope.eu/better/ (PDF).',
  'Välkommen till Gävle! 👋🏽 Day 2 of the study visit.\n\nFollow @InterregB and https://twitter.com/InterregB for updates.',
  'Benvenuti a Genova! 🇮🇹 È già il terzo giorno… Photos: https://www.interregeurope.eu/better/ #Genova #Interreg',
  'Birmingham, here we come! 🇬🇧✈️ #BETTER2022 #Birmingham\nhttps://www.interregeurope.eu/better/',
  'Thanks to all partners 🙏🏼 (Tartu, Genova, Gävle, Birmingham, Nyíregyháza) — see you next year! https://www.interregeurope.eu/better/.',
  'New report out now 📄 → https://www.interregeurope.eu/better/ • by @alice.bsky.social & @bob.bsky.social #BETTER2022 #InterregEurope',
  'Join us 🗓️ 12.–14. May in Tartu 🇪🇪\n• Day 1: site visits\n• Day 2: workshops\n• Day 3: #BETTER2022 conference\nRegister: https://www.interregeurope.eu/better/?utm_source=herald',
  'Kohtumine Tartus! Õpitoad, ülevaated ja arutelu. Rohkem infot: www.interregeurope.eu/better/ #Tartu #BETTER2022 👩‍💼👨‍💼',
  'Der Workshop in Tartu war großartig! 🤝 Danke an alle Partner. (https://www.interregeurope.eu/better/)',
  '🚨 Deadline extended! Applications close 30 June. Details: https://www.interregeurope.eu/better/ ⏰ #Interreg',
  'BETTER 🇪🇺 mahdollistaa yhteistyön. プロジェクト 한국 مشروع פרויקט #BETTER2022 https://www.interregeurope.eu/better/',
  'RT @InterregB: Great meeting in Gävle today! 🇸🇪 https://twitter.com/InterregB/status/1234567890',
  'Watch the recording 🎥 https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s — and the slides at example.com/slides!',
  'Photos from Nyíregyháza 📸👨‍👩‍👧‍👦 👩🏽‍🔬 🧑‍💻 #Nyíregyháza #BETTER2022 @handle.bsky.social https://hu.wikipedia.org/wiki/Nyíregyháza',
);
// A realistic announcement padded to exactly 280 / 281 X-weight with ASCII.
{
  const head = 'BETTER Interreg Europe project meets in Tartu 🇪🇪 https://www.interregeurope.eu/better/ #BETTER2022 ';
  // X weight of head: 46 + 2 (flag) + 1 + 23 + 1 + 11 + 1 = 85 (checked by generate.js output).
  add(head + 'x'.repeat(280 - 85));
  add(head + 'x'.repeat(281 - 85));
}

// ---------------------------------------------------------------------------
// Mastodon's URL rules (twitter-text's extractor with Mastodon's overrides):
// one group per class where a generic URL finder and Mastodon disagree.
// Each group is built from parts so that every class has many inputs.
const MASTO_SEEN = cases.length;
// Scheme letters in upper or mixed case, and Mastodon's other schemes.
for (const scheme of ['HTTP', 'HTTPS', 'Https', 'hTTp', 'HtTpS', 'dat', 'DAT', 'dweb', 'ipfs',
  'ipns', 'ssb', 'gopher', 'gemini', 'Gemini', 'ftp', 'FTP', 'mailto', 'xmpp']) {
  add(`${scheme}://example.com/some/long/path/that/goes/on`, `see ${scheme}://www.interregeurope.eu/better/ now`);
}
// Hosts that are IP addresses, localhost, ports.
for (const host of ['127.0.0.1', '127.0.0.1:8080', '192.168.1.10:3000', '10.0.0.1', '[::1]', '[::1]:8080',
  'localhost', 'localhost:3000', 'localhost:8080', 'LOCALHOST:80', 'intranet', 'example.com:8080',
  'example.com:65536', 'example.com:', 'example.com:abc']) {
  add(`http://${host}/api/v1/statuses`, `Open https://${host} now`);
}
// Underscores in subdomains and in the domain name.
for (const host of ['a_b.example.com', 'my_city.tartu.ee', '_dmarc.example.com', 'a_.example.com',
  'www.my_site.com', 'sub.a_b.c.example.org', 'x_y_z.better.eu', 'a-b_c.example.net']) {
  add(`https://${host}/page`, `(https://${host})`);
}
// URLs glued together by `,` or `.` (and other separators).
for (const sep of [',', '.', ';', ',,', '.,', '|', '/', '']) {
  add(`https://a.example.com${sep}https://b.example.com`);
  add(`https://a.example.com/x${sep}https://b.example.com/y`);
}
add('Links: https://tartu.ee,https://genova.it,https://gavle.se.',
  'https://example.com/a.https://example.com/b.', 'www.example.com,https://example.org');
// Which trailing characters end a URL.
for (const end of ['~', '$', '%', '@', '|', '&', '*', '!', '.', ',', ':', ';', '=', '?', "'", '"',
  '[', ']', '「', '」', '+', '-', '_', '#', '/', ')', '>', '…', '。', '»']) {
  add(`https://example.org/post${end}`, `See https://example.com/a/b${end} next`);
}
add('https://example.com/~user/', 'https://example.com/~user', 'https://example.com/a$b',
  'https://example.com/100%25', 'https://example.com/@alice', 'https://example.com/@alice/123',
  'https://mastodon.social/@Gargron@mastodon.social', 'https://example.com/a|b|c',
  'https://example.com/?q=a|b', 'https://example.com/?q=õun', 'https://example.com/?q=日本語',
  'https://example.com/?q=x~', 'https://example.com/?a=1&b=2', 'https://example.org/q?',
  'https://example.com/日本語/パス', 'https://example.com/õun.html', 'https://example.com/path<tag>',
  'https://example.com/a b', 'https://example.com/a\u00A0b', 'https://example.com/a\u3000b');
// Balanced parentheses, with ASCII and non-ASCII content.
for (const inner of ['Tartu', 'õun', 'Nyíregyháza', '日本', 'Москва', 'κόσμος', '🎉', 'a(b)c',
  'a(日本)c', 'a b', '', 'x)(y', 'mixed_日本_x']) {
  add(`https://en.wikipedia.org/wiki/Example_(${inner})`, `(see https://example.com/wiki/A_(${inner})/x)`);
}
// URLs between guillemets and other quotation marks.
for (const [open, close] of [['«', '»'], ['»', '«'], ['‹', '›'], ['„', '“'], ['“', '”'], ['「', '」'],
  ['『', '』'], ['《', '》'], ['"', '"'], ["'", "'"], ['<', '>'], ['(', ')'], ['[', ']']]) {
  add(`${open}https://www.interregeurope.eu/better/news/${close}`, `Loe ${open}https://example.com/a_(b)${close}.`);
}
// Mentions next to URLs, and mention forms Mastodon shortens.
add('@alice@example.com https://example.com', 'https://example.com/@alice@example.com',
  '@alice@sub.example.co.uk!', '@a.b-c@mastodon.social', '@alice@mastodon.social@x',
  'x@alice@example.com', '=@alice@example.com', '/@alice@example.com', '@alice@example.comé',
  '@alice@example.com://', '@alice@日本.jp', '@alice@' + 'a'.repeat(254) + '.com',
  '@alice@' + 'a'.repeat(240) + '.com', 'Mastodonis: @tartu@mastodon.social, @genova@mastodon.uno.');
// Long and odd URLs.
add('https://' + 'a'.repeat(63) + '.com/', 'https://' + 'a'.repeat(64) + '.com/',
  'https://example.com/' + 'x'.repeat(4100), 'https://t.co/abcdef', 'https://t.co/abc/def',
  'https://t.co/' + 'a'.repeat(41), 'https://bücher.de/', 'https://xn--bcher-kva.de/x',
  'https://example.notarealtld/x', 'https://example.com\nhttps://example.org', 'line\nhttps://example.com',
  'https://tartu.ee.', 'https://EXAMPLE.COM/PATH', 'https://example.COMx', 'https://tartu.ee/#anchor');
if (cases.length - MASTO_SEEN < 100) throw new Error('fewer than 100 Mastodon URL cases');

// ---------------------------------------------------------------------------
// Characters twitter-text calls invalid (X refuses the post).
add('\uFEFFTere', 'Tere\uFEFF', 'a\uFFFEb', 'a\uFFFFb', '\uFEFF\uFEFF', 'https://example.com/\uFEFF',
  'Tere \uFEFF https://example.com');

// ---------------------------------------------------------------------------
// Validate and render.
const seen = new Map();
cases.forEach((s, i) => {
  if (typeof s !== 'string') throw new Error(`case ${i} is not a string`);
  if (seen.has(s)) {
    throw new Error(`duplicate case ${i} (first at ${seen.get(s)}): ${JSON.stringify(s).slice(0, 80)}`);
  }
  // Lone surrogates cannot round-trip through UTF-8 (or Rust's String).
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)) {
    throw new Error(`case ${i} has a lone surrogate`);
  }
  seen.set(s, i);
});

// One string per line, so diffs of corpus.json stay readable.
const json = '[\n' + cases.map((s) => JSON.stringify(s)).join(',\n') + '\n]\n';

module.exports = { OUT, json, count: cases.length };

if (require.main === module) {
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
    if (current !== json) {
      console.error('corpus.json is stale: run `node make-corpus.js` in tests/conformance');
      process.exit(1);
    }
    console.log(`corpus.json is up to date (${cases.length} strings)`);
  } else {
    fs.writeFileSync(OUT, json);
    console.log(`wrote corpus.json (${cases.length} strings)`);
  }
}
