// The small landing page at / and the problem-code page at /problems.
import { PROBLEMS } from '../kernel/index.ts';

const STYLE = `body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}
a{color:#0b4f8a}code{background:#f2f2f2;padding:0 .2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

export function landingPage(): string {
  return page(
    'Crossroads — service integrator',
    `<h1>Crossroads</h1>
<p>Crossroads is a service integrator between public institutions, after the Belgian crossroads-bank model.
It knows which institution holds which data about whom, checks every exchange of personal data against the
public authorisations before it happens, routes it to the authentic source, and logs it.</p>
<h2>For institutions</h2>
<ul>
<li><a href="/docs">API documentation</a> (OpenAPI 3.1 at <a href="/openapi.json">/openapi.json</a>)</li>
<li><code>POST /v1/exchanges</code> asks an authentic source for data about a person, under an authorisation</li>
<li><code>/v1/directory/registrations</code> registers and unregisters the persons you hold a dossier for</li>
</ul>
<h2>Public registers</h2>
<ul>
<li><a href="/public/authorisations">Authorisations</a> (deliberations of the Information Security Committee)</li>
<li><a href="/public/services">Data-service catalogue</a></li>
<li><a href="/public/institutions">Institutions</a> and <a href="/public/capacities">capacities</a></li>
<li><a href="/problems">Problem codes</a></li>
</ul>`,
  );
}

export function problemsPage(): string {
  const rows = Object.entries(PROBLEMS)
    .map(
      ([code, p]) =>
        `<tr id="${code}"><td><code>${code}</code></td><td>${p.status}</td><td>${p.title}</td></tr>`,
    )
    .join('');
  return page(
    'Crossroads — problem codes',
    `<h1>Problem codes</h1><p>Every refusal is an RFC 9457 problem with one of these codes.</p>
<table><thead><tr><th scope="col">code</th><th scope="col">status</th><th scope="col">meaning</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}
