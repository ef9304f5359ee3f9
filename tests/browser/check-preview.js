#!/usr/bin/env node
// Opens the page that `herald preview` wrote in a real Chromium and checks that it
// shows every post that `herald check --format json` reported, as the preview's DOM
// contract says, without a single request leaving the page's own file.
//
//   node check-preview.js <path/to/index.html> <path/to/check.json> <path/to/screenshot-prefix>
//
// writes <prefix>-1280.png and <prefix>-390.png, full-page screenshots at both widths.
//
// Uses Debian's Chromium (/usr/bin/chromium) through playwright-core; it never
// downloads a browser. Exit codes: 0 all checks passed, 1 a check failed,
// 2 the checks could not run (bad arguments, no browser, timeout, crash).
// See README.md beside this file.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

// CHROMIUM overrides the path (GitHub's Ubuntu runners have Google Chrome instead).
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// The whole run, launch to screenshot, must finish within this (milliseconds).
const TOTAL_TIMEOUT_MS = Number(process.env.CHECK_PREVIEW_TIMEOUT_MS) || 120_000;
// Any one browser operation (load, evaluate, screenshot).
const STEP_TIMEOUT_MS = 30_000;
const PHONE_WIDTH = 390;
const DESKTOP_WIDTH = 1280;
const VIEWPORT_HEIGHT = 900;
const STATES = ['draft', 'approved', 'changed', 'unknown_approver', 'invalid'];

const PREFIX = 'check-preview:';
let step = 'starting';

function fatal(message) {
  console.error(`${PREFIX} cannot run the checks: ${message}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------
// Arguments and inputs

const [pagePath, checkPath, screenshotPrefix] = process.argv.slice(2);
if (process.argv.length !== 5) {
  fatal(
    'usage: node check-preview.js <path/to/index.html> <path/to/check.json> <path/to/screenshot-prefix>',
  );
}
const pageFile = path.resolve(pagePath);
if (!fs.existsSync(pageFile) || !fs.statSync(pageFile).isFile()) {
  fatal(`the preview page ${pageFile} does not exist (did \`herald preview --out DIR\` write DIR/index.html?)`);
}
let check;
try {
  check = JSON.parse(fs.readFileSync(checkPath, 'utf8'));
} catch (e) {
  fatal(`cannot read ${checkPath} as the JSON of \`herald check --format json\`: ${e.message}`);
}
if (!check || !Array.isArray(check.announcements)) {
  fatal(`${checkPath} has no "announcements" array; is it the output of \`herald check --format json\`?`);
}
if (!fs.existsSync(CHROMIUM)) {
  fatal(`${CHROMIUM} is missing; run ./scripts/test, which installs Debian's chromium package`);
}
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  fatal(`playwright-core is not installed (${e.code || e.message}); run ./scripts/test, which runs \`npm ci --prefix tests/browser\``);
}

// The posts the page must show, one per (announcement variant, channel).
const expected = [];
for (const a of check.announcements) {
  for (const p of a.posts || []) {
    expected.push({
      key: cardKey(a.id, a.lang, p.channel),
      label: `${a.id} (${a.lang}) on ${p.channel}`,
      state: a.state,
      kind: p.kind,
      parts: p.parts || [],
    });
  }
}

function cardKey(id, lang, channel) {
  return JSON.stringify([id, lang, channel]);
}

// ---------------------------------------------------------------------------
// Checks

const problems = [];
function problem(message) {
  problems.push(message);
}

// Requests that are allowed: the page's own file, data: and about: URLs. A file: URL
// other than the page itself means the page is not self-contained (it would break
// once copied elsewhere), so it is reported too.
const pageUrl = pathToFileURL(pageFile).href;
const requests = [];
function requestProblem(url) {
  const scheme = url.slice(0, url.indexOf(':') + 1).toLowerCase();
  if (scheme === 'data:' || scheme === 'about:') return null;
  if (scheme === 'file:') {
    return url.split('#')[0] === pageUrl ? null : 'a file other than the page itself (not self-contained)';
  }
  return 'outside the page (only file:, data: and about: are allowed)';
}

// Whether a .count text shows "LENGTH of LIMIT" in plain words (or, with no limit,
// LENGTH), as whole numbers and never as "LENGTH / LIMIT"; words around them ("part 1 of
// 2 ·", "characters as X counts them") are fine.
function countShows(text, length, limit) {
  const number = (n) => `(?<!\\d|\\d[.,])${n}(?!\\d|[.,]\\d)`;
  if (text.includes('/')) return false;
  if (limit === null) return new RegExp(number(length)).test(text);
  return new RegExp(`${number(length)} of ${number(limit)}`).test(text);
}

function describe(value) {
  return value === null || value === undefined ? 'absent' : JSON.stringify(value);
}

function checkCards(dom) {
  const byKey = new Map();
  for (const card of dom.cards) {
    const key = cardKey(card.id, card.lang, card.channel);
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key).push(card);
  }
  const expectedKeys = new Set(expected.map((e) => e.key));

  let parts = 0;
  for (const post of expected) {
    const found = byKey.get(post.key) || [];
    if (found.length !== 1) {
      problem(`${post.label}: expected exactly one .card with data-id/data-lang/data-channel, found ${found.length}`);
      continue;
    }
    const card = found[0];
    const where = `${post.label} (card #${card.index + 1})`;
    if (card.state !== post.state) {
      problem(`${where}: data-state is ${describe(card.state)}, the announcement's state is ${describe(post.state)}`);
    }
    if (!STATES.includes(card.state)) {
      problem(`${where}: data-state ${describe(card.state)} is not one of ${STATES.join('|')}`);
    }
    if (card.kind !== post.kind) {
      problem(`${where}: data-kind is ${describe(card.kind)}, the post's kind is ${describe(post.kind)}`);
    }
    if (!card.badge) {
      problem(`${where}: no .state badge`);
    } else if (!card.badge.text) {
      problem(`${where}: the .state badge has no text`);
    } else if (!card.badge.visible) {
      problem(`${where}: the .state badge is not visible`);
    }

    if (card.parts.length !== post.parts.length) {
      problem(`${where}: ${card.parts.length} .part element(s), the post has ${post.parts.length} part(s)`);
    }
    post.parts.forEach((want, i) => {
      const got = card.parts[i];
      if (!got) return;
      parts += 1;
      const at = `${where}, part ${i + 1}`;
      const wantLength = String(want.length);
      const wantLimit = want.limit === null || want.limit === undefined ? null : String(want.limit);
      if (got.length !== wantLength) {
        problem(`${at}: data-length is ${describe(got.length)}, expected ${describe(wantLength)}`);
      }
      if (got.limit !== wantLimit) {
        problem(`${at}: data-limit is ${describe(got.limit)}, expected ${wantLimit === null ? 'absent (no limit)' : describe(wantLimit)}`);
      }
      const wantCount = wantLimit === null ? wantLength : `${wantLength} of ${wantLimit}`;
      const shows = (c) => countShows(c.text, wantLength, wantLimit);
      if (got.counts.length === 0) {
        problem(`${at}: no .count element (expected one showing "${wantCount}")`);
      } else if (!got.counts.some(shows)) {
        problem(`${at}: .count shows ${got.counts.map((c) => describe(c.text)).join(', ')}, expected "${wantCount}"`);
      } else if (!got.counts.some((c) => shows(c) && c.visible)) {
        problem(`${at}: the .count showing "${wantCount}" is not visible`);
      }
    });

    if (post.kind === 'email') {
      if (card.frames.length !== 1) {
        problem(`${where}: expected one iframe.email-frame, found ${card.frames.length}`);
      }
      for (const frame of card.frames) {
        // allow-same-origin lets the page read the frame's height to fit it; without
        // allow-scripts the email still cannot run anything.
        if (frame.sandbox === null) {
          problem(`${where}: the email iframe has no sandbox attribute`);
        } else if (frame.sandbox.split(/\s+/).includes('allow-scripts')) {
          problem(`${where}: the email iframe's sandbox ${describe(frame.sandbox)} lets the email run scripts`);
        }
        if (!frame.srcdoc) {
          problem(`${where}: the email iframe has no srcdoc`);
        }
      }
      if (card.emailText.length !== 1) {
        problem(`${where}: expected one details.email-text, found ${card.emailText.length}`);
      } else if (card.emailText[0] === 0) {
        problem(`${where}: details.email-text (the plain-text alternative) is empty`);
      }
    }
  }

  for (const card of dom.cards) {
    if (!expectedKeys.has(cardKey(card.id, card.lang, card.channel))) {
      problem(
        `card #${card.index + 1} (data-id=${describe(card.id)} data-lang=${describe(card.lang)} ` +
          `data-channel=${describe(card.channel)}) matches no post in the check JSON`,
      );
    }
  }
  if (dom.cards.length !== expected.length) {
    problem(`${dom.cards.length} .card element(s) on the page, the check JSON has ${expected.length} post(s)`);
  }
  return parts;
}

// ---------------------------------------------------------------------------
// In the page

// Everything the checks need from the DOM, as plain data.
function readDom() {
  const clean = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const visible = (el) => {
    if (!el || !el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const timeline = document.querySelector('section#timeline');
  return {
    h1s: [...document.querySelectorAll('h1')].map((h) => clean(h.textContent)),
    timeline: timeline
      ? [...timeline.querySelectorAll('li.timeline-item')].map((li) => li.getAttribute('data-when'))
      : null,
    cards: [...document.querySelectorAll('.card')].map((c, index) => {
      const badge = c.querySelector('.state');
      return {
        index,
        id: c.getAttribute('data-id'),
        lang: c.getAttribute('data-lang'),
        channel: c.getAttribute('data-channel'),
        kind: c.getAttribute('data-kind'),
        state: c.getAttribute('data-state'),
        badge: badge ? { text: clean(badge.textContent), visible: visible(badge) } : null,
        parts: [...c.querySelectorAll('.part')].map((p) => ({
          length: p.getAttribute('data-length'),
          limit: p.getAttribute('data-limit'),
          counts: [...p.querySelectorAll('.count')].map((e) => ({ text: clean(e.textContent), visible: visible(e) })),
        })),
        frames: [...c.querySelectorAll('iframe.email-frame')].map((f) => ({
          sandbox: f.getAttribute('sandbox'),
          srcdoc: f.hasAttribute('srcdoc') && f.getAttribute('srcdoc').trim() !== '',
        })),
        emailText: [...c.querySelectorAll('details.email-text')].map((d) => clean(d.textContent).length),
      };
    }),
  };
}

// Every <img> in this document: scrolled into view (so lazy images load), waited
// for, and described.
async function readImages(perImageMs) {
  const images = [...document.querySelectorAll('img')];
  const out = [];
  for (const img of images) {
    img.scrollIntoView({ block: 'center' });
    if (!img.complete) {
      await new Promise((resolve) => {
        img.addEventListener('load', resolve, { once: true });
        img.addEventListener('error', resolve, { once: true });
        setTimeout(resolve, perImageMs);
      });
    }
    const card = img.closest('.card');
    out.push({
      where: card
        ? `${card.getAttribute('data-id')} (${card.getAttribute('data-lang')}) on ${card.getAttribute('data-channel')}`
        : 'outside any card',
      alt: img.getAttribute('alt'),
      src: (img.getAttribute('src') || '').slice(0, 40),
      complete: img.complete,
      naturalWidth: img.naturalWidth,
    });
  }
  window.scrollTo(0, 0);
  return out;
}

// The documentElement's scroll width and, when it is too wide, up to five of the
// innermost elements that stick out on the right, to say what causes the scrollbar.
function readOverflow() {
  const width = document.documentElement.clientWidth;
  const scrollWidth = document.documentElement.scrollWidth;
  const culprits = [];
  if (scrollWidth <= width || !document.body) return { scrollWidth, culprits };
  const describeEl = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += `#${el.id}`;
    if (el.classList.length) s += `.${[...el.classList].join('.')}`;
    const card = el.closest('.card');
    if (card && card !== el) {
      s += ` in .card[data-id="${card.getAttribute('data-id')}"][data-lang="${card.getAttribute('data-lang')}"][data-channel="${card.getAttribute('data-channel')}"]`;
    }
    return s;
  };
  // How far right an element reaches, with its content unless it clips it.
  const reach = (el) => {
    const r = el.getBoundingClientRect();
    const clips = getComputedStyle(el).overflowX !== 'visible';
    return { right: clips ? r.right : Math.max(r.right, r.left + el.scrollWidth), clips };
  };
  const walk = (el) => {
    if (culprits.length >= 5) return;
    const { right, clips } = reach(el);
    const wide = clips ? [] : [...el.children].filter((c) => reach(c).right > width + 0.5);
    if (wide.length === 0) {
      culprits.push(`${describeEl(el)} (reaches ${Math.round(right)}px)`);
    } else {
      wide.forEach(walk);
    }
  };
  walk(document.body);
  return { scrollWidth, culprits };
}

// What a person would see wrong in the layout, at the current width: email frames
// narrower than their card's text or with a scrollbar of their own, card headers on more
// than one line, and text squeezed into a column of a few letters.
function readLayout() {
  const describeEl = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.classList.length) s += `.${[...el.classList].join('.')}`;
    const card = el.closest('.card');
    if (card && card !== el) s += ` in the card of ${card.getAttribute('data-id')} (${card.getAttribute('data-lang')}) on ${card.getAttribute('data-channel')}`;
    return s;
  };
  const out = [];
  for (const f of document.querySelectorAll('iframe.email-frame, iframe.feed-frame')) {
    const part = f.closest('.part');
    const cs = getComputedStyle(part);
    const text = part.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const width = f.getBoundingClientRect().width;
    if (width + 1 < text) out.push(`${describeEl(f)} is ${Math.round(width)}px wide, its card's text ${Math.round(text)}px`);
    const d = f.contentDocument;
    if (!d) {
      out.push(`${describeEl(f)}: the page cannot read the frame's document to fit its height`);
      continue;
    }
    const e = d.documentElement;
    if (e.scrollHeight > f.clientHeight) out.push(`${describeEl(f)} scrolls: its content is ${e.scrollHeight}px high, the frame ${f.clientHeight}px`);
    if (e.scrollWidth > f.clientWidth) out.push(`${describeEl(f)} scrolls sideways: its content is ${e.scrollWidth}px wide, the frame ${f.clientWidth}px`);
  }
  for (const h of document.querySelectorAll('.card > header')) {
    const lh = parseFloat(getComputedStyle(h).lineHeight) || 1.2 * parseFloat(getComputedStyle(h).fontSize);
    const height = h.getBoundingClientRect().height;
    const tops = [...h.children].map((c) => c.getBoundingClientRect());
    const oneLine = tops.every((r) => r.top < tops[0].bottom && r.bottom > tops[0].top);
    if (height >= 2 * lh || !oneLine) out.push(`${describeEl(h)} takes more than one line (${Math.round(height)}px high, line height ${Math.round(lh)}px)`);
  }
  // Text squeezed narrower than about three characters and broken over lines.
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== '');
    if (!own || !el.checkVisibility()) continue;
    const style = getComputedStyle(el);
    const font = parseFloat(style.fontSize);
    const lh = parseFloat(style.lineHeight) || 1.2 * font;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.width < 1.8 * font && r.height > 1.5 * lh) {
      out.push(`${describeEl(el)} is ${Math.round(r.width)}px wide and ${Math.round(r.height / lh)} lines high: "${el.textContent.trim().slice(0, 40)}"`);
    }
  }
  return out;
}

// Waits until the page has laid itself out again (and the frames were fitted) after a
// change of width or of the open details.
const settled = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));

// ---------------------------------------------------------------------------
// Main

// The browser's fresh profile folder and the browser, for clean-up (also on a timeout).
let userDataDir = null;
let launching = null;
let timedOut = false;
let cleaning = null;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-chromium-'));
  try {
    step = `launching ${CHROMIUM}`;
    launching = chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: DESKTOP_WIDTH, height: VIEWPORT_HEIGHT },
      timeout: STEP_TIMEOUT_MS,
      serviceWorkers: 'block',
      acceptDownloads: false,
    });
    const context = await launching;
    context.setDefaultTimeout(STEP_TIMEOUT_MS);

    // Record every request; let none leave the machine.
    context.on('request', (request) => requests.push(request.url()));
    await context.route(
      (url) => requestProblem(url.href) !== null && url.protocol !== 'file:',
      (route) => route.abort('blockedbyclient'),
    );
    context.on('websocket', (ws) => requests.push(ws.url()));

    const page = context.pages()[0] || (await context.newPage());
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    step = `loading ${pageUrl}`;
    await page.goto(pageUrl, { waitUntil: 'load' });

    step = 'reading the page';
    const dom = await page.evaluate(readDom);
    if (!dom.h1s.some((t) => t !== '')) {
      problem(dom.h1s.length ? 'the page heading <h1> is empty' : 'the page has no <h1> heading');
    }
    if (dom.timeline === null) {
      problem('the page has no <section id="timeline">');
    } else if (dom.timeline.length === 0) {
      problem('the timeline has no li.timeline-item');
    } else {
      const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/;
      dom.timeline.forEach((when, i) => {
        if (!when || !rfc3339.test(when) || Number.isNaN(Date.parse(when))) {
          problem(`timeline item ${i + 1}: data-when ${describe(when)} is not an RFC 3339 time`);
        }
      });
    }
    const parts = checkCards(dom);

    step = 'reading the email frames';
    const frameHandles = await page.$$('.card iframe.email-frame');
    let emailFrames = 0;
    const frameImages = [];
    for (const handle of frameHandles) {
      const where = await handle.evaluate((f) => {
        const c = f.closest('.card');
        return `${c.getAttribute('data-id')} (${c.getAttribute('data-lang')}) on ${c.getAttribute('data-channel')}`;
      });
      const frame = await handle.contentFrame();
      if (!frame) {
        problem(`${where}: the email iframe has no content document`);
        continue;
      }
      await frame.waitForLoadState('load');
      const h1 = await frame.evaluate(() => {
        const h = document.querySelector('h1');
        return h ? h.textContent.replace(/\s+/g, ' ').trim() : null;
      });
      if (h1 === null) {
        problem(`${where}: the email HTML has no <h1>`);
      } else if (h1 === '') {
        problem(`${where}: the email HTML's <h1> is empty`);
      } else {
        emailFrames += 1;
      }
      for (const img of await frame.evaluate(readImages, 5_000)) {
        frameImages.push({ ...img, where: `${where}, in the email` });
      }
    }

    step = 'loading the images';
    const images = [...(await page.evaluate(readImages, 5_000)), ...frameImages];
    for (const img of images) {
      const at = `image in ${img.where}`;
      if (!img.alt || img.alt.trim() === '') problem(`${at} (${img.src}...): empty or missing alt text`);
      if (!img.src.toLowerCase().startsWith('data:')) problem(`${at}: src ${describe(img.src)} is not a data: URI`);
      if (!img.complete || img.naturalWidth === 0) problem(`${at} (${img.src}...): did not load (naturalWidth ${img.naturalWidth})`);
    }

    const screenshots = [];
    for (const width of [DESKTOP_WIDTH, PHONE_WIDTH]) {
      for (const open of [false, true]) {
        const how = `at ${width}px wide${open ? ' with every details open' : ''}`;
        step = `checking the layout ${how}`;
        await page.setViewportSize({ width, height: VIEWPORT_HEIGHT });
        await page.evaluate((o) => document.querySelectorAll('details').forEach((d) => { d.open = o; }), open);
        await page.evaluate(settled);
        const { scrollWidth, culprits } = await page.evaluate(readOverflow);
        if (scrollWidth > width) {
          problem(
            `horizontal scrollbar ${how}: the page is ${scrollWidth}px wide` +
              (culprits.length ? `; sticking out: ${culprits.join('; ')}` : ''),
          );
        }
        for (const p of await page.evaluate(readLayout)) problem(`${how}: ${p}`);
        if (!open) {
          const file = `${screenshotPrefix}-${width}.png`;
          step = `saving the screenshot to ${file}`;
          fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
          await page.screenshot({ path: file, fullPage: true });
          screenshots.push(file);
        }
      }
    }

    for (const message of pageErrors) problem(`script error in the page: ${message}`);
    const badRequests = requests
      .map((url) => [url, requestProblem(url)])
      .filter(([, why]) => why !== null);
    for (const [url, why] of badRequests) problem(`request to ${url}: ${why}`);

    step = 'closing the browser';
    await context.close();

    if (problems.length > 0) {
      console.error(`${PREFIX} FAILED: ${problems.length} problem(s) in ${pageFile}`);
      for (const p of problems) console.error(`  - ${p}`);
      console.error(`  (screenshots: ${screenshots.join(', ')})`);
      return 1;
    }
    const variants = check.announcements.filter((a) => (a.posts || []).length > 0).length;
    console.log(
      `${PREFIX} ok: ${dom.cards.length} cards for ${expected.length} posts of ${variants} announcement variants, ` +
        `${parts} parts, ${emailFrames} email frames, ${images.length} images loaded, ` +
        `${requests.length} request(s), all local; at ${DESKTOP_WIDTH}px and ${PHONE_WIDTH}px, with details closed and open: ` +
        `no horizontal scroll, frames fitted, headers on one line, no squeezed text; screenshots ${screenshots.join(', ')}`,
    );
    return 0;
  } finally {
    await cleanUp();
  }
}

// Closes the browser and removes its profile folder; safe to call more than once.
function cleanUp() {
  if (!cleaning) {
    cleaning = (async () => {
      const context = launching ? await Promise.race([launching.catch(() => null), sleep(5_000)]) : null;
      if (context) await Promise.race([context.close().catch(() => {}), sleep(5_000)]);
      for (let attempt = 0; userDataDir && attempt < 5; attempt += 1) {
        try {
          fs.rmSync(userDataDir, { recursive: true, force: true });
          userDataDir = null;
        } catch {
          await sleep(200); // the browser may still be writing to it
        }
      }
    })();
  }
  return cleaning;
}

const watchdog = setTimeout(() => {
  timedOut = true;
  console.error(`${PREFIX} cannot run the checks: timed out after ${TOTAL_TIMEOUT_MS} ms while ${step}`);
  const exit = () => process.exit(2);
  cleanUp().then(exit, exit);
  setTimeout(exit, 10_000).unref();
}, TOTAL_TIMEOUT_MS);

main().then(
  (code) => {
    if (timedOut) return; // the watchdog reports and exits
    clearTimeout(watchdog);
    process.exit(code);
  },
  (error) => {
    if (timedOut) return;
    clearTimeout(watchdog);
    console.error(`${PREFIX} cannot run the checks: error while ${step}: ${error && error.stack ? error.stack : error}`);
    process.exit(2);
  },
);
