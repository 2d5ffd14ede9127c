// The demo network: real institutions of the Belgian social sector (their real enterprise numbers
// where we know them), real sector and capacity codes, and authorisations modelled on real
// deliberations of the Information Security Committee. References are demo references.
import type { AuthorisationInput } from '../authz/index.ts';
import type { Capacity, ServiceInput } from '../network/index.ts';
import { findOfficialCapacity } from '../network/index.ts';

export type DemoInstitutionKey =
  'nr' | 'rsz' | 'rva' | 'sfpd' | 'cm' | 'solidaris' | 'ocmwGent' | 'cpasLiege' | 'energy';

export interface DemoInstitution {
  readonly key: DemoInstitutionKey;
  readonly kbo: string;
  readonly nameNl: string;
  readonly nameFr: string;
  readonly sector: number | null;
  readonly subsector: number | null;
  readonly isSource: boolean;
}

export const DEMO_INSTITUTIONS: readonly DemoInstitution[] = [
  {
    key: 'nr',
    kbo: '0362475538',
    nameNl: 'Rijksregister (FOD Binnenlandse Zaken)',
    nameFr: 'Registre national (SPF Intérieur)',
    sector: 0,
    subsector: 0,
    isSource: true,
  },
  {
    key: 'rsz',
    kbo: '0206731645',
    nameNl: 'Rijksdienst voor Sociale Zekerheid',
    nameFr: 'Office national de sécurité sociale',
    sector: 12,
    subsector: 0,
    isSource: true,
  },
  {
    key: 'rva',
    kbo: '0206737484',
    nameNl: 'Rijksdienst voor Arbeidsvoorziening',
    nameFr: "Office national de l'emploi",
    sector: 18,
    subsector: 0,
    isSource: true,
  },
  {
    key: 'sfpd',
    kbo: '0206738078',
    nameNl: 'Federale Pensioendienst',
    nameFr: 'Service fédéral des Pensions',
    sector: 5,
    subsector: 0,
    isSource: true,
  },
  {
    key: 'cm',
    kbo: '0411702543',
    nameNl: 'Christelijke Mutualiteit',
    nameFr: 'Mutualité chrétienne',
    sector: 11,
    subsector: 1,
    isSource: true,
  },
  {
    key: 'solidaris',
    kbo: '0411724220',
    nameNl: 'Solidaris',
    nameFr: 'Solidaris',
    sector: 11,
    subsector: 1,
    isSource: true,
  },
  {
    key: 'ocmwGent',
    kbo: '0212234515',
    nameNl: 'OCMW Gent',
    nameFr: 'CPAS de Gand',
    sector: 17,
    subsector: 1,
    isSource: true,
  },
  {
    key: 'cpasLiege',
    kbo: '0207902474',
    nameNl: 'OCMW Luik',
    nameFr: 'CPAS de Liège',
    sector: 17,
    subsector: 1,
    isSource: true,
  },
  {
    key: 'energy',
    kbo: '0403170701',
    nameNl: 'Electrabel (energieleverancier)',
    nameFr: "Electrabel (fournisseur d'énergie)",
    sector: null,
    subsector: null,
    isSource: false,
  },
];

export function demoInstitution(key: DemoInstitutionKey): DemoInstitution {
  return DEMO_INSTITUTIONS.find((i) => i.key === key)!;
}

/** [sector, code, exclusive] — labels come from the official capacity list. */
const CAPACITY_CODES: readonly [number, number, boolean][] = [
  [11, 1, true], // health-care insurability: one fund at a time
  [17, 1, false], // dossier under examination
  [17, 2, true], // leefloon: one OCMW at a time
  [17, 3, true], // equivalent leefloon
  [18, 1, false], // controlled unemployed
  [5, 30, false], // income guarantee for the elderly
  [5, 100, false], // payment dossier
];

export function demoCapacities(): Capacity[] {
  return CAPACITY_CODES.map(([sector, code, exclusive]) => {
    const official = findOfficialCapacity(sector, code);
    if (!official) throw new Error(`capacity ${sector}:${code} is not in the official list`);
    return { sector, code, labelNl: official.labelNl, labelFr: official.labelFr, exclusive };
  });
}

const str = { type: 'string' } as const;
const date = { type: 'string', format: 'date' } as const;
const eur = { type: 'integer', description: 'euro' } as const;

export function demoServices(): ServiceInput[] {
  return [
    {
      id: 'nr.identity',
      title: {
        nl: 'Identiteit en adres (Rijksregister)',
        fr: 'Identité et adresse (Registre national)',
        en: 'Identity and address (National Register)',
      },
      description:
        'The person as the National Register knows them: name, birth, sex, nationality, civil status, main address, identity card, death.',
      fieldsSchema: {
        type: 'object',
        properties: {
          lastName: str,
          firstNames: str,
          birthDate: date,
          sex: { type: 'string', enum: ['M', 'F'] },
          nationality: str,
          civilStatus: str,
          address: {
            type: 'object',
            properties: { street: str, number: str, postalCode: str, municipality: str, country: str },
          },
          identityCardNumber: str,
          deathDate: { type: ['string', 'null'], format: 'date' },
        },
      },
      providerRule: { kind: 'fixed', institution: demoInstitution('nr').kbo },
    },
    {
      id: 'rsz.employment',
      title: {
        nl: 'Tewerkstellingen (Dimona)',
        fr: 'Occupations (Dimona)',
        en: 'Employment periods (Dimona)',
      },
      description: 'Employment periods declared through DIMONA that overlap the period asked.',
      fieldsSchema: {
        type: 'object',
        properties: {
          employments: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                employer: { type: 'object' },
                start: date,
                end: { type: ['string', 'null'] },
                jointCommittee: str,
                workerType: str,
              },
            },
          },
        },
      },
      providerRule: { kind: 'fixed', institution: demoInstitution('rsz').kbo },
    },
    {
      id: 'rva.unemployment',
      title: { nl: 'Werkloosheidsuitkering', fr: 'Allocation de chômage', en: 'Unemployment benefit' },
      description:
        'Whether the person receives an unemployment benefit, since when, at which daily amount and category.',
      fieldsSchema: {
        type: 'object',
        properties: {
          status: { type: 'string', enum: ['controlled-unemployed', 'none'] },
          since: { type: ['string', 'null'] },
          dailyAmountEur: eur,
          category: str,
        },
      },
      providerRule: { kind: 'fixed', institution: demoInstitution('rva').kbo },
    },
    {
      id: 'pension.benefit',
      title: { nl: 'Pensioen', fr: 'Pension', en: 'Pension' },
      description:
        'The pension paid by the Federal Pension Service, and whether an income guarantee for the elderly (IGO/GRAPA) is granted.',
      fieldsSchema: {
        type: 'object',
        properties: { type: str, since: date, monthlyAmountEur: eur, incomeGuarantee: { type: 'boolean' } },
      },
      providerRule: { kind: 'fixed', institution: demoInstitution('sfpd').kbo },
    },
    {
      id: 'health.insurability',
      title: {
        nl: 'Verzekerbaarheid geneeskundige verzorging',
        fr: 'Assurabilité soins de santé',
        en: 'Health-insurance membership',
      },
      description:
        'Asked of the health-insurance fund where the person is registered for the period: fund, insurability, increased reimbursement.',
      fieldsSchema: {
        type: 'object',
        properties: {
          fund: { type: 'object', properties: { code: str, name: str } },
          insurable: { type: 'boolean' },
          since: date,
          until: { type: ['string', 'null'] },
          increasedReimbursement: { type: 'boolean' },
        },
      },
      providerRule: { kind: 'registration', sector: 11, capacities: [1] },
    },
    {
      id: 'ocmw.social-integration',
      title: { nl: 'Leefloon', fr: "Revenu d'intégration", en: 'Social integration income (leefloon)' },
      description:
        'Asked of the OCMW/CPAS that pays the person a leefloon for the period: category, monthly amount, since.',
      fieldsSchema: { type: 'object', properties: { category: str, monthlyAmountEur: eur, since: date } },
      providerRule: { kind: 'registration', sector: 17, capacities: [2] },
    },
  ];
}

const IDENTITY_FIELDS = [
  'lastName',
  'firstNames',
  'birthDate',
  'sex',
  'nationality',
  'civilStatus',
  'address',
];
const OCMW = { institutions: [], sectors: [{ sector: 17, subsector: 1 }] };
const HEALTH_FUNDS = { institutions: [], sectors: [{ sector: 11, subsector: 1 }] };
const OCMW_CAPACITIES = [
  { sector: 17, code: 1 },
  { sector: 17, code: 2 },
  { sector: 17, code: 3 },
];

/** Each entry is one authorisation; a second entry with the same ref is its amendment. */
export function demoAuthorisations(): AuthorisationInput[] {
  const ocmwIdentity: AuthorisationInput = {
    ref: 'IVC/KSZG/19/123',
    title:
      'Mededeling van identificatiegegevens uit het Rijksregister aan de OCMW’s voor het sociaal onderzoek',
    decidedOn: '2019-05-07',
    recipients: OCMW,
    services: [{ service: 'nr.identity', fields: IDENTITY_FIELDS }],
    purposes: ['social-investigation'],
    capacities: OCMW_CAPACITIES,
    validFrom: '2019-06-01',
    validTo: null,
    dataLevel: 'identified',
    note: 'Demo, modelled on the deliberations on the OCMW social investigation (Organic Law of 8 July 1976, art. 60).',
  };
  return [
    ocmwIdentity,
    {
      ...ocmwIdentity,
      services: [{ service: 'nr.identity', fields: [...IDENTITY_FIELDS, 'deathDate'] }],
      note: 'Amendment of 2023: the date of death is added, so that payments stop at once.',
    },
    {
      ref: 'IVC/KSZG/20/045',
      title:
        'Mededeling van werkloosheidsgegevens door de RVA aan de OCMW’s voor het onderzoek naar het recht op maatschappelijke integratie',
      decidedOn: '2020-03-03',
      recipients: OCMW,
      services: [{ service: 'rva.unemployment', fields: ['status', 'since', 'dailyAmountEur', 'category'] }],
      purposes: ['social-investigation'],
      capacities: OCMW_CAPACITIES,
      validFrom: '2020-04-01',
      validTo: null,
      dataLevel: 'identified',
      note: 'Demo, modelled on the deliberations on the social investigation (income from unemployment).',
    },
    {
      ref: 'IVC/KSZG/18/210',
      title: 'Mededeling van Dimona-gegevens door de RSZ aan de OCMW’s',
      decidedOn: '2018-10-02',
      recipients: OCMW,
      services: [{ service: 'rsz.employment', fields: ['employments'] }],
      purposes: ['social-investigation'],
      capacities: OCMW_CAPACITIES,
      validFrom: '2018-11-01',
      validTo: null,
      dataLevel: 'identified',
      note: 'Demo, modelled on the deliberations on access to DIMONA data by the OCMW/CPAS.',
    },
    {
      ref: 'IVC/KSZG/21/077',
      title: 'Mededeling van verzekerbaarheidsgegevens door de ziekenfondsen aan de OCMW’s (medische kosten)',
      decidedOn: '2021-06-01',
      recipients: OCMW,
      services: [{ service: 'health.insurability', fields: ['fund', 'insurable', 'since', 'until'] }],
      purposes: ['social-investigation', 'medical-costs'],
      capacities: OCMW_CAPACITIES,
      validFrom: '2021-07-01',
      validTo: null,
      dataLevel: 'identified',
      note: 'Demo, modelled on the MediPrima / medical-costs deliberations; routed to the person’s fund.',
    },
    {
      ref: 'IVC/KSZG/16/301',
      title:
        'Mededeling van het leefloon door de OCMW’s aan de ziekenfondsen voor de verhoogde tegemoetkoming',
      decidedOn: '2016-12-06',
      recipients: HEALTH_FUNDS,
      services: [{ service: 'ocmw.social-integration', fields: ['category', 'since'] }],
      purposes: ['increased-reimbursement'],
      capacities: [{ sector: 11, code: 1 }],
      validFrom: '2017-01-01',
      validTo: null,
      dataLevel: 'identified',
      note: 'Demo, modelled on the automatic granting of the increased reimbursement (verhoogde tegemoetkoming).',
    },
    {
      ref: 'IVC/KSZG/17/158',
      title: 'Mededeling van de inkomensgarantie voor ouderen door de Pensioendienst aan de ziekenfondsen',
      decidedOn: '2017-07-04',
      recipients: HEALTH_FUNDS,
      services: [{ service: 'pension.benefit', fields: ['incomeGuarantee', 'since'] }],
      purposes: ['increased-reimbursement'],
      capacities: [{ sector: 11, code: 1 }],
      validFrom: '2017-09-01',
      validTo: null,
      dataLevel: 'identified',
      note: 'Demo, modelled on the automatic granting of the increased reimbursement to IGO/GRAPA recipients.',
    },
    {
      ref: 'IVC/KSZG/22/012',
      title:
        'Mededeling van Dimona-gegevens door de RSZ aan de RVA voor de controle op de cumulatie van arbeid en uitkering',
      decidedOn: '2022-02-01',
      recipients: { institutions: [demoInstitution('rva').kbo], sectors: [] },
      services: [{ service: 'rsz.employment', fields: ['employments'] }],
      purposes: ['benefit-control'],
      capacities: [{ sector: 18, code: 1 }],
      validFrom: '2022-03-01',
      validTo: null,
      dataLevel: 'identified',
      note: 'Demo, modelled on the cross-checks of DIMONA against unemployment benefits.',
    },
    {
      ref: 'IVC/KSZG/14/044',
      title:
        'Mededeling van identificatiegegevens uit het Rijksregister aan de Pensioendienst (beheer van betaaldossiers)',
      decidedOn: '2014-04-01',
      recipients: { institutions: [demoInstitution('sfpd').kbo], sectors: [] },
      services: [{ service: 'nr.identity', fields: [...IDENTITY_FIELDS, 'deathDate'] }],
      purposes: ['pension-payment'],
      capacities: [{ sector: 5, code: 100 }],
      validFrom: '2014-05-01',
      validTo: '2025-01-01',
      dataLevel: 'identified',
      note: 'Demo: ended on 2025-01-01, to show a refusal for an authorisation no longer in force.',
    },
  ];
}
