// Change push in the demo: OCMW Gent takes the National Register's changes pushed to its webhook
// (a signed-event receiver the demo runs for it), CPAS Liège pulls them from its feed. The Federal
// Pension Service subscribed too, but its authorisation ended in 2025, so it receives nothing. On
// every start the National Register publishes two moves and a death (source references fixed per
// day, so a restart publishes nothing twice).
import type { Hub } from '../hub.ts';
import { type IsoDate, today } from '../kernel/index.ts';
import type { Accepted } from '../mutations/index.ts';
import type { Actor, Institution } from '../network/index.ts';
import { type ChangeInbox, startChangeInbox } from './change-inbox.ts';
import { type DemoInstitutionKey, demoInstitution } from './network.ts';
import type { Address, DemoPerson } from './people.ts';

export interface DemoChanges {
  /** OCMW Gent's webhook receiver. */
  readonly inbox: ChangeInbox;
  readonly published: readonly {
    readonly title: string;
    readonly insz: string;
    readonly accepted: Accepted;
  }[];
}

const IDENTITY = 'nr.identity';

export async function startDemoChanges(
  hub: Hub,
  people: readonly DemoPerson[],
  options: { readonly host: string; readonly port: number },
): Promise<DemoChanges> {
  const { changes, registry } = hub;
  const institution = (key: DemoInstitutionKey): Institution =>
    registry.institutionByKbo(demoInstitution(key).kbo)!;
  const actorOf = (key: DemoInstitutionKey): Actor => ({
    kind: 'institution',
    institution: institution(key),
    credentialId: 'demo-setup',
  });
  const key = changes.key;
  const inbox = await startChangeInbox({
    key: (kid) => (kid === key.kid ? key.publicKey : undefined),
    host: options.host,
    port: options.port,
  });
  try {
    for (const who of ['ocmwGent', 'cpasLiege', 'sfpd'] as const) {
      const id = institution(who).id;
      if (!changes.subscriptions.ofInstitution(id).some((s) => s.service === IDENTITY)) {
        await changes.subscriptions.subscribe(id, IDENTITY, {}, actorOf(who));
      }
    }
    // The receiver's port may differ from the last start: point the webhook at it each time.
    const gent = institution('ocmwGent').id;
    await changes.setDelivery(gent, { mode: 'push', url: inbox.url, batch: false }, actorOf('ocmwGent'));

    const published = [];
    for (const change of startChanges(people, today(hub.clock))) {
      const accepted = await changes.outbox.publish(institution('nr'), actorOf('nr'), change.input);
      published.push({ title: change.title, insz: change.input.insz, accepted });
    }
    return { inbox, published };
  } catch (error) {
    await inbox.close();
    throw error;
  }
}

/** A new address in the region (a move), for demo changes. */
export function movedAddress(region: DemoPerson['region'], n: number): Address {
  const streets =
    region === 'gent'
      ? [
          ['Korenmarkt', '9000', 'Gent'],
          ['Sint-Pietersnieuwstraat', '9000', 'Gent'],
          ['Dampoortstraat', '9000', 'Gent'],
        ]
      : [
          ['Rue Féronstrée', '4000', 'Liège'],
          ['Boulevard d’Avroy', '4000', 'Liège'],
          ['Rue Saint-Gilles', '4000', 'Liège'],
        ];
  const [street, postalCode, municipality] = streets[n % streets.length]!;
  return {
    street: street!,
    number: String(1 + ((n * 7) % 120)),
    postalCode: postalCode!,
    municipality: municipality!,
    country: 'BE',
  };
}

function startChanges(people: readonly DemoPerson[], day: IsoDate) {
  const gent = people.find((p) => p.region === 'gent' && (p.leefloon || p.underExamination));
  const liege = people.find((p) => p.region === 'liege' && (p.leefloon || p.underExamination));
  const pensioner = people.find(
    (p) => p.region === 'gent' && (p.leefloon || p.underExamination) && p !== gent,
  );
  const moves = [gent, liege].filter((p): p is DemoPerson => p !== undefined);
  return [
    ...moves.map((p, n) => ({
      title: `${p.firstNames} ${p.lastName} moves (${p.region === 'gent' ? 'OCMW Gent, push' : 'CPAS Liège, pull'})`,
      input: {
        service: IDENTITY,
        insz: p.insz,
        effectiveDate: day,
        kind: 'updated' as const,
        data: { address: movedAddress(p.region, n) },
        sourceReference: `demo-start-move-${p.insz}-${day}`,
      },
    })),
    ...(pensioner
      ? [
          {
            title: `${pensioner.firstNames} ${pensioner.lastName} dies (OCMW Gent, push)`,
            input: {
              service: IDENTITY,
              insz: pensioner.insz,
              effectiveDate: day,
              kind: 'updated' as const,
              data: { deathDate: day },
              sourceReference: `demo-start-death-${pensioner.insz}-${day}`,
            },
          },
        ]
      : []),
  ];
}
