// Table shapes, as Kysely sees them. Portable types only: text, integer; JSON is stored as text,
// booleans as 0/1, dates as ISO 8601 text (architecture.md §5: every query runs on both engines).
import type { Generated } from 'kysely';
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
  changes: ChangeTable;
  subscriptions: SubscriptionTable;
  delivery_settings: DeliverySettingsTable;
  deliveries: DeliveryTable;
  directory_imports: DirectoryImportTable;
}

export interface ChangeTable {
  seq: Generated<number>;
  id: string;
  service: string;
  service_version: number;
  /** The publishing institution (the authentic source). */
  source_id: string;
  source_reference: string;
  /** SHA-256 of the published content, to tell a repeat from a conflicting reuse of the reference. */
  content_hash: string;
  insz: string;
  effective_date: string;
  kind: string;
  /** JSON */
  data: string;
  received_at: string;
  received_by: string;
  recipients: number;
}

export interface SubscriptionTable {
  id: string;
  institution_id: string;
  service: string;
  /** JSON array of {sector, code}; null = every capacity the authorisation names. */
  capacities: string | null;
  purpose: string | null;
  created_at: string;
  created_by: string;
  ended_at: string | null;
  ended_by: string | null;
}

export interface DeliverySettingsTable {
  institution_id: string;
  mode: string;
  url: string | null;
  batch: number;
  updated_at: string;
  updated_by: string;
}

export interface DeliveryTable {
  seq: Generated<number>;
  id: string;
  change_id: string;
  recipient_id: string;
  insz: string;
  mode: string;
  /** The CloudEvent as it is sent (JSON), fields already filtered for this recipient. */
  event: string;
  authorisation_ref: string;
  authorisation_version: number;
  purpose: string;
  registrations: string;
  fields: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
  /** The hub node working on this push delivery, until claim_expires (ISO 8601). */
  claimed_by: string | null;
  claim_expires: string | null;
}

/** One bulk load of a file into the persons directory (`crossroads directory import`). */
export interface DirectoryImportTable {
  id: string;
  file_path: string;
  file_size: number;
  file_head_sha256: string;
  /** csv or ndjson */
  format: string;
  /** The --institution KBO given for lines that name none; null when none was given. */
  institution: string | null;
  rejects_path: string;
  /** The last line (1-based, a CSV header counted) of the last committed chunk. */
  lines_done: number;
  /** The byte offset just after that line: where a resumed import reads on. */
  bytes_done: number;
  loaded: number;
  rejected: number;
  /** The reject file's size when that chunk committed: a resumed import truncates it to this. */
  rejects_bytes: number;
  /** 1: the import dropped the person indexes of registrations and rebuilds them when it finishes. */
  deferred_indexes: number;
  started_at: string;
  started_by: string;
  updated_at: string;
  finished_at: string | null;
}
