// The citizen pages' words in Dutch, French and English, and the choice of language: `?lang=`
// first, then the browser's Accept-Language (RFC 9110 §12.5.4), then Dutch.

export const LANGS = ['nl', 'fr', 'en'] as const;
export type Lang = (typeof LANGS)[number];

const EN = {
  title: 'Who used my data?',
  skip: 'Skip to the list',
  intro:
    'Every time an institution asks the hub for data about you, the hub checks the request against the public authorisations and writes it in a tamper-evident log. Here you see every entry about you.',
  login: 'Log in',
  loginHint: 'Log in to see who used your data.',
  loggedInAs: 'Logged in as',
  logout: 'Log out',
  caption: 'Exchanges of data about you, newest first',
  time: 'Time',
  institution: 'Institution',
  service: 'Data',
  purpose: 'Purpose',
  authorisation: 'Authorisation',
  outcome: 'Result',
  proof: 'Proof',
  proofLink: 'Proof (JSON)',
  forwarded: 'Data sent',
  refused: 'Refused by the hub',
  failed: 'Failed: nothing sent',
  changeSent: 'Change sent to them by the source, through the hub',
  unknownCaller: 'Unidentified caller',
  none: 'No institution has asked for data about you yet.',
  older: 'Older entries',
  newest: 'Newest entries',
  verifyTitle: 'Check it yourself',
  verifyText:
    'Each entry has a proof: a Merkle inclusion proof against a checkpoint of the log that the hub signed (and independent witnesses can cosign). Save an entry’s proof as entry.json and check it, without trusting this page, with',
  verifyMore: 'How the proof works:',
  language: 'Language',
} as const;

type Messages = { readonly [K in keyof typeof EN]: string };

export const MESSAGES: Readonly<Record<Lang, Messages>> = {
  en: EN,
  nl: {
    title: 'Wie gebruikte mijn gegevens?',
    skip: 'Naar de lijst',
    intro:
      'Telkens een instelling de hub om gegevens over u vraagt, toetst de hub de vraag aan de openbare machtigingen en schrijft hij ze in een log dat niet ongemerkt te wijzigen is. Hier ziet u elke vermelding over u.',
    login: 'Aanmelden',
    loginHint: 'Meld u aan om te zien wie uw gegevens gebruikte.',
    loggedInAs: 'Aangemeld als',
    logout: 'Afmelden',
    caption: 'Uitwisselingen van gegevens over u, nieuwste eerst',
    time: 'Tijdstip',
    institution: 'Instelling',
    service: 'Gegevens',
    purpose: 'Doel',
    authorisation: 'Machtiging',
    outcome: 'Resultaat',
    proof: 'Bewijs',
    proofLink: 'Bewijs (JSON)',
    forwarded: 'Gegevens verstuurd',
    refused: 'Geweigerd door de hub',
    failed: 'Mislukt: niets verstuurd',
    changeSent: 'Wijziging van de bron hun bezorgd, via de hub',
    unknownCaller: 'Niet-geïdentificeerde vrager',
    none: 'Nog geen enkele instelling vroeg gegevens over u op.',
    older: 'Oudere vermeldingen',
    newest: 'Nieuwste vermeldingen',
    verifyTitle: 'Controleer het zelf',
    verifyText:
      'Elke vermelding heeft een bewijs: een Merkle-bewijs van opname tegenover een controlepunt van het log dat de hub ondertekende (en dat onafhankelijke getuigen kunnen medeondertekenen). Bewaar het bewijs van een vermelding als entry.json en controleer het, zonder deze pagina te vertrouwen, met',
    verifyMore: 'Hoe het bewijs werkt:',
    language: 'Taal',
  },
  fr: {
    title: 'Qui a utilisé mes données ?',
    skip: 'Aller à la liste',
    intro:
      'Chaque fois qu’une institution demande au hub des données vous concernant, le hub vérifie la demande au regard des autorisations publiques et l’inscrit dans un journal infalsifiable. Vous voyez ici chaque inscription vous concernant.',
    login: 'Se connecter',
    loginHint: 'Connectez-vous pour voir qui a utilisé vos données.',
    loggedInAs: 'Connecté en tant que',
    logout: 'Se déconnecter',
    caption: 'Échanges de données vous concernant, les plus récents d’abord',
    time: 'Moment',
    institution: 'Institution',
    service: 'Données',
    purpose: 'Finalité',
    authorisation: 'Autorisation',
    outcome: 'Résultat',
    proof: 'Preuve',
    proofLink: 'Preuve (JSON)',
    forwarded: 'Données transmises',
    refused: 'Refusé par le hub',
    failed: 'Échec : rien transmis',
    changeSent: 'Modification de la source transmise, via le hub',
    unknownCaller: 'Demandeur non identifié',
    none: 'Aucune institution n’a encore demandé de données vous concernant.',
    older: 'Inscriptions plus anciennes',
    newest: 'Inscriptions les plus récentes',
    verifyTitle: 'Vérifiez vous-même',
    verifyText:
      'Chaque inscription a une preuve : une preuve d’inclusion de Merkle par rapport à un point de contrôle du journal que le hub a signé (et que des témoins indépendants peuvent cosigner). Enregistrez la preuve d’une inscription sous entry.json et vérifiez-la, sans faire confiance à cette page, avec',
    verifyMore: 'Fonctionnement de la preuve :',
    language: 'Langue',
  },
};

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGS as readonly string[]).includes(value);
}

/** `?lang=` when it names a language we have, else the best of Accept-Language, else Dutch. */
export function chooseLang(query: unknown, acceptLanguage: string | undefined): Lang {
  if (isLang(query)) return query;
  let best: { lang: Lang; q: number } | undefined;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    const lang = range.split('-')[0];
    // RFC 9110 §12.4.2: "a value of 0 means 'not acceptable'".
    if (!isLang(lang) || !(q > 0)) continue;
    if (!best || q > best.q) best = { lang, q };
  }
  return best?.lang ?? 'nl';
}
