// The demo identity provider's login page: pick a demo person and log in as them. One form holds
// the authorization request; each person is a submit button carrying their INSZ (not shown).
import { escapeHtml } from './page.ts';

export interface DemoIdentity {
  readonly insz: string;
  readonly firstNames: string;
  readonly lastName: string;
  readonly birthDate: string;
}

const SHOWN = 50;

const STYLE = `body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b;background:#fff}
a{color:#0b4f8a}:focus-visible{outline:3px solid #1b1b1b;outline-offset:2px}
ul{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr));gap:.5rem}
button{width:100%;text-align:left;background:#0b4f8a;color:#fff;border:0;border-radius:.25rem;padding:.5rem;font:inherit;cursor:pointer}
input[type=search]{font:inherit;padding:.3rem}.note{background:#fff4d6;border:1px solid #8a6d00;padding:.5rem}`;

/** The authorization request's parameters, carried through the page unchanged. */
export type AuthorizationParams = Readonly<Record<string, string>>;

export function demoLoginPage(
  params: AuthorizationParams,
  people: readonly DemoIdentity[],
  query: string,
): string {
  const matches = search(people, query);
  const hidden = Object.entries(params)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  const buttons = matches
    .slice(0, SHOWN)
    .map(
      (p) =>
        `<li><button type="submit" name="insz" value="${p.insz}">${escapeHtml(`${p.firstNames} ${p.lastName}`)}<br><small>° ${p.birthDate}</small></button></li>`,
    )
    .join('\n');
  const more =
    matches.length > SHOWN
      ? `<p>${SHOWN} of ${matches.length} shown: search to narrow the list.</p>`
      : matches.length === 0
        ? '<p>Nobody matches.</p>'
        : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Demo login — Crossroads</title><style>${STYLE}</style></head><body><main>
<h1>Demo login</h1>
<p class="note">This is the demo network’s identity provider. The people are synthetic; choose one to log in as them. A real hub uses the citizens’ own identity provider (in Belgium, the Federal Authentication Service).</p>
<form method="get" action="authorize" role="search">${hidden}
<label for="q">Name, birth date or national number</label> <input type="search" id="q" name="q" value="${escapeHtml(query)}"> <button type="submit" style="width:auto">Search</button></form>
<form method="post" action="authorize">${hidden}
<h2 id="people">Log in as</h2>
<ul aria-labelledby="people">${buttons}</ul>${more}</form>
</main></body></html>`;
}

function search(people: readonly DemoIdentity[], query: string): readonly DemoIdentity[] {
  const q = query.trim().toLowerCase();
  if (q === '') return people;
  const digits = q.replace(/[\s.-]/g, '');
  return people.filter(
    (p) =>
      `${p.firstNames} ${p.lastName}`.toLowerCase().includes(q) ||
      p.birthDate.includes(q) ||
      (/^\d+$/.test(digits) && p.insz.includes(digits)),
  );
}
