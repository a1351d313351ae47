-- Up Migration

-- Published constitution versions. Rows are only ever inserted: the highest version is the one in
-- force, history stays auditable. `jws` is the signed form as published (verifiable offline);
-- `document` is its parsed payload for querying.
CREATE TABLE constitution_versions (
  version       integer     PRIMARY KEY CHECK (version > 0),
  label         text        NOT NULL,
  hash          text        NOT NULL UNIQUE,
  document      jsonb       NOT NULL,
  jws           text        NOT NULL,
  signer_kid    text        NOT NULL,
  signed_at     timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  published_by  text        NOT NULL,
  published_at  timestamptz NOT NULL DEFAULT now()
);

-- What-if replays gate decisions of a time window.
CREATE INDEX audit_events_gate_decision_time_idx ON audit_events (time, id) WHERE type = 'gate.decision';

-- Down Migration
DROP INDEX audit_events_gate_decision_time_idx;
DROP TABLE constitution_versions;
