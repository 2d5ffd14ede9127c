// The /me page: server-rendered, no JavaScript, one language per page (nl/fr/en). Accessibility:
// a skip link, <html lang>, a table with caption and scoped headers, visible focus, and colours
// with at least 4.5:1 contrast (#1b1b1b and #0b4f8a on white, white on #0b4f8a).
import type { AccessEntry, AccessPage } from './accesses.ts';
import { LANGS, type Lang, MESSAGES } from './messages.ts';

export interface MePageInput {
  readonly lang: Lang;
  /** null: nobody is logged in; the page offers the login. */
  readonly session: { readonly name: string; readonly formToken: string } | null;
  readonly accesses: AccessPage | null;
  /** The cursor this page was asked with (a link back to the newest entries is then offered). */
  readonly cursor: string | undefined;
}

const LOCALES: Record<Lang, string> = { nl: 'nl-BE', fr: 'fr-BE', en: 'en-GB' };
const LANGUAGE_NAMES: Record<Lang, string> = { nl: 'Nederlands', fr: 'Français', en: 'English' };

const STYLE = `body{font-family:system-ui,sans-serif;max-width:72rem;margin:0 auto;padding:0 1rem 2rem;line-height:1.5;color:#1b1b1b;background:#fff}
a{color:#0b4f8a}a:focus-visible,button:focus-visible{outline:3px solid #1b1b1b;outline-offset:2px}
.skip{position:absolute;left:-100vw}.skip:focus{position:static}
header{display:flex;flex-wrap:wrap;justify-content:space-between;gap:1rem;align-items:center;border-bottom:1px solid #767676;padding:.5rem 0}
nav ul{list-style:none;display:flex;gap:1rem;margin:0;padding:0}
.button,button{display:inline-block;background:#0b4f8a;color:#fff;border:0;border-radius:.25rem;padding:.5rem 1rem;font:inherit;text-decoration:none;cursor:pointer}
table{border-collapse:collapse;width:100%}caption{text-align:left;font-weight:bold;padding:.5rem 0}
td,th{border:1px solid #767676;padding:.3rem .5rem;text-align:left;vertical-align:top}
code{background:#f2f2f2;padding:0 .2rem}`;

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export function mePage(input: MePageInput): string {
  const words = MESSAGES[input.lang];
  const main = input.session
    ? `<p>${escapeHtml(words.intro)}</p>${tableOf(input)}${pager(input)}${verifyHelp(input.lang)}`
    : `<p>${escapeHtml(words.intro)}</p><p>${escapeHtml(words.loginHint)}</p>
<p><a class="button" href="/me/login?lang=${input.lang}">${escapeHtml(words.login)}</a></p>`;
  return `<!doctype html><html lang="${input.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(words.title)} — Crossroads</title><style>${STYLE}</style></head><body>
<a class="skip" href="#main">${escapeHtml(words.skip)}</a>
<header>${languageSwitch(input.lang)}${sessionBox(input)}</header>
<main id="main" tabindex="-1"><h1>${escapeHtml(words.title)}</h1>${main}</main></body></html>`;
}

function languageSwitch(current: Lang): string {
  const items = LANGS.map((lang) =>
    lang === current
      ? `<li><a href="/me?lang=${lang}" aria-current="page" lang="${lang}">${LANGUAGE_NAMES[lang]}</a></li>`
      : `<li><a href="/me?lang=${lang}" hreflang="${lang}" lang="${lang}">${LANGUAGE_NAMES[lang]}</a></li>`,
  ).join('');
  return `<nav aria-label="${escapeHtml(MESSAGES[current].language)}"><ul>${items}</ul></nav>`;
}

function sessionBox(input: MePageInput): string {
  if (!input.session) return '';
  const words = MESSAGES[input.lang];
  // The form token ties this form to the session: another site cannot make a browser post it.
  return `<form method="post" action="/me/logout"><p>${escapeHtml(words.loggedInAs)} <strong>${escapeHtml(input.session.name)}</strong>
<input type="hidden" name="token" value="${escapeHtml(input.session.formToken)}">
<input type="hidden" name="lang" value="${input.lang}">
<button type="submit">${escapeHtml(words.logout)}</button></p></form>`;
}

function tableOf(input: MePageInput): string {
  const words = MESSAGES[input.lang];
  const entries = input.accesses?.entries ?? [];
  if (entries.length === 0) return `<p>${escapeHtml(words.none)}</p>`;
  const head = [words.time, words.institution, words.service, words.purpose, words.authorisation]
    .concat([words.outcome, words.proof])
    .map((h) => `<th scope="col">${escapeHtml(h)}</th>`)
    .join('');
  const rows = entries.map((e) => rowOf(e, input.lang)).join('\n');
  return `<table><caption>${escapeHtml(words.caption)}</caption><thead><tr>${head}</tr></thead><tbody>
${rows}</tbody></table>`;
}

const timeFormats = new Map(
  LANGS.map((lang) => [
    lang,
    new Intl.DateTimeFormat(LOCALES[lang], {
      timeZone: 'Europe/Brussels',
      dateStyle: 'medium',
      timeStyle: 'medium',
    }),
  ]),
);

function rowOf(entry: AccessEntry, lang: Lang): string {
  const words = MESSAGES[lang];
  const time = timeFormats.get(lang)!.format(new Date(entry.time));
  const institution = entry.institution
    ? `${escapeHtml(entry.display.institution)} <small>(KBO ${escapeHtml(entry.institution.kbo)})</small>`
    : escapeHtml(entry.display.institution);
  const authorisation = entry.authorisation
    ? `<a href="${authorisationHref(entry.authorisation)}">${escapeHtml(entry.authorisation.ref)}</a>`
    : '—';
  const proof = `<a href="/me/accesses/${entry.logIndex}.json" download="crossroads-entry-${entry.logIndex}.json">${escapeHtml(words.proofLink)} #${entry.logIndex}</a>`;
  return `<tr><th scope="row"><time datetime="${escapeHtml(entry.time)}">${escapeHtml(time)}</time></th><td>${institution}</td><td>${escapeHtml(entry.display.service)}</td><td>${escapeHtml(entry.purpose ?? '—')}</td><td>${authorisation}</td><td>${escapeHtml(entry.display.outcome)}</td><td>${proof}</td></tr>`;
}

/** References contain slashes (IVC/KSZG/19/123): each segment is encoded, the slashes kept. */
function authorisationHref(ref: { ref: string; version: number }): string {
  const path = ref.ref.split('/').map(encodeURIComponent).join('/');
  return escapeHtml(`/public/authorisations/${path}?version=${ref.version}`);
}

function pager(input: MePageInput): string {
  const words = MESSAGES[input.lang];
  const links: string[] = [];
  if (input.cursor !== undefined)
    links.push(`<a href="/me?lang=${input.lang}">${escapeHtml(words.newest)}</a>`);
  const next = input.accesses?.nextCursor;
  if (next) {
    const href = `/me?lang=${input.lang}&cursor=${encodeURIComponent(next)}`;
    links.push(`<a href="${escapeHtml(href)}" rel="next">${escapeHtml(words.older)}</a>`);
  }
  return links.length === 0
    ? ''
    : `<nav aria-label="${escapeHtml(words.caption)}"><p>${links.join(' · ')}</p></nav>`;
}

function verifyHelp(lang: Lang): string {
  const words = MESSAGES[lang];
  return `<section aria-labelledby="verify"><h2 id="verify">${escapeHtml(words.verifyTitle)}</h2>
<p>${escapeHtml(words.verifyText)} <code>npx crossroads log verify-proof entry.json</code>.</p>
<p>${escapeHtml(words.verifyMore)} <a href="https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3">RFC 9162 §2.1.3</a>,
<a href="https://c2sp.org/tlog-checkpoint">C2SP tlog-checkpoint</a>, <a href="https://c2sp.org/signed-note">C2SP signed-note</a>.</p></section>`;
}
