// Table shapes, as Kysely sees them. Portable types only: text, integer; JSON is stored as text,
// booleans as 0/1, dates as ISO 8601 text (architecture.md §5: every query runs on both engines).
export interface InstitutionTable {
  id: string;
  kbo: string;
  name_nl: string;
  name_fr: string;
  sector: number | null;
  subsector: number | null;
  source_url: string | null;
  source_token: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

export interface CapacityTable {
  sector: number;
  code: number;
  label_nl: string;
  label_fr: string;
  exclusive: number;
  created_at: string;
  created_by: string;
}

export interface ServiceTable {
  id: string;
  version: number;
  title_nl: string;
  title_fr: string;
  title_en: string;
  description: string;
  fields_schema: string;
  provider_rule: string;
  created_at: string;
  created_by: string;
}

export interface CredentialTable {
  id: string;
  institution_id: string | null;
  secret_hash: string;
  label: string;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
  revoked_by: string | null;
}

export interface RegistrationTable {
  id: string;
  insz: string;
  institution_id: string;
  sector: number;
  subsector: number;
  capacity: number;
  phase: number;
  start_date: string;
  end_date: string | null;
  created_at: string;
  created_by: string;
  ended_at: string | null;
  ended_by: string | null;
}

export interface DirectoryEventTable {
  id: string;
  registration_id: string;
  action: string;
  at: string;
  by: string;
  detail: string;
}

export interface AuthorisationTable {
  ref: string;
  version: number;
  title: string;
  decided_on: string;
  status: string;
  recipients: string;
  services: string;
  purposes: string;
  capacities: string;
  valid_from: string;
  valid_to: string | null;
  data_level: string;
  /** Days after an exchange before the person may see it (confidential investigations); null = at once. */
  embargo_days: number | null;
  note: string;
  created_at: string;
  created_by: string;
}

export interface ExchangeLogTable {
  seq: number;
  exchange_id: string;
  at: string;
  person: string | null;
  caller: string | null;
  record: string;
  hash: string;
}

export interface MerkleNodeTable {
  level: number;
  idx: number;
  /** base64 */
  hash: string;
}

export interface CheckpointTable {
  size: number;
  /** base64 */
  root_hash: string;
  /** The C2SP signed note: checkpoint body, blank line, the hub's signature line. */
  note: string;
  created_at: string;
}

export interface WitnessTable {
  name: string;
  verifier_key: string;
  created_at: string;
  created_by: string;
}

export interface CosignatureTable {
  size: number;
  witness: string;
  /** The whole `— <name> <base64>` line, ready to append to the checkpoint's note. */
  signature_line: string;
  cosigned_at: number;
  received_at: string;
}

export interface SessionTable {
  /** SHA-256 of the session cookie's value. */
  id_hash: string;
  insz: string;
  name: string;
  created_at: string;
  expires_at: string;
}

export interface Database {
  institutions: InstitutionTable;
  capacities: CapacityTable;
  services: ServiceTable;
  credentials: CredentialTable;
  registrations: RegistrationTable;
  directory_events: DirectoryEventTable;
  authorisations: AuthorisationTable;
  exchange_log: ExchangeLogTable;
  merkle_nodes: MerkleNodeTable;
  checkpoints: CheckpointTable;
  witnesses: WitnessTable;
  cosignatures: CosignatureTable;
  sessions: SessionTable;
}
