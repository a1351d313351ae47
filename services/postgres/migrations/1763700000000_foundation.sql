-- Up Migration

-- Transactional outbox: rows are written in the same transaction as the change they describe and
-- published to Kafka by services/relay. Postgres is the system of record; Kafka only distributes.
CREATE TABLE outbox (
  id            uuid PRIMARY KEY,
  topic         text        NOT NULL,
  key           text        NOT NULL,
  envelope      jsonb       NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  published_at  timestamptz,
  attempts      integer     NOT NULL DEFAULT 0,
  last_error    text,
  -- Monotonic insertion order: per-key ordering is defined by seq, not by clock time.
  seq           bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX outbox_unpublished_idx ON outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_key_idx ON outbox (key, seq);

-- Audit store: every gate decision and audited action, queryable by run, tenant, decision, time.
CREATE TABLE audit_events (
  id           uuid PRIMARY KEY,
  type         text        NOT NULL,
  source       text        NOT NULL,
  tenant       text        NOT NULL,
  subject      text        NOT NULL,
  time         timestamptz NOT NULL,
  decision     text,
  data         jsonb       NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_subject_idx ON audit_events (subject, time);
CREATE INDEX audit_events_tenant_time_idx ON audit_events (tenant, time);
CREATE INDEX audit_events_decision_idx ON audit_events (decision, time) WHERE decision IS NOT NULL;

-- Down Migration
DROP TABLE audit_events;
DROP TABLE outbox;
