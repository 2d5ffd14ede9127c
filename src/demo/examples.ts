// The two ready-to-paste requests the demo prints: one the hub permits, one it refuses.
import type { DemoInstitutionKey } from './network.ts';
import type { DemoPerson } from './people.ts';

export interface DemoExample {
  readonly title: string;
  readonly request: {
    readonly method: 'POST';
    readonly url: string;
    readonly headers: Record<string, string>;
    readonly body: Record<string, unknown>;
  };
  readonly expect: { readonly status: number; readonly code?: string };
  readonly curl: string;
}

export function demoExamples(
  hubUrl: string,
  people: readonly DemoPerson[],
  credential: (key: DemoInstitutionKey) => string,
  today: string,
): DemoExample[] {
  const client = people.find((p) => p.leefloon && p.region === 'gent') ?? people[0]!;
  return [
    example(
      'OCMW Gent reads the identity and address of a leefloon recipient it holds a dossier for (permitted)',
      hubUrl,
      credential('ocmwGent'),
      { service: 'nr.identity', insz: client.insz, purpose: 'social-investigation', date: today },
      { status: 200 },
    ),
    example(
      'An energy supplier asks for the same person’s unemployment benefit (refused: no authorisation)',
      hubUrl,
      credential('energy'),
      { service: 'rva.unemployment', insz: client.insz, purpose: 'social-tariff', date: today },
      { status: 403, code: 'NO_AUTHORISATION' },
    ),
  ];
}

function example(
  title: string,
  hubUrl: string,
  token: string,
  body: Record<string, unknown>,
  expect: DemoExample['expect'],
): DemoExample {
  const url = `${hubUrl}/v1/exchanges`;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const curl = `curl -s -X POST ${url} -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' -d '${JSON.stringify(body)}'`;
  return { title, request: { method: 'POST', url, headers, body }, expect, curl };
}
