-- Up Migration

-- A row whose envelope fails validation can never be published; the relay marks it rejected (with
-- the reason in last_error) so it neither blocks its key forever nor reaches Kafka.
ALTER TABLE outbox ADD COLUMN rejected_at timestamptz;

-- The relay reads the oldest pending rows in seq order (its claim window); this index matches
-- that predicate exactly, so the plan stays an index scan + LIMIT whatever the statistics say.
CREATE INDEX outbox_pending_seq_idx ON outbox (seq) WHERE published_at IS NULL AND rejected_at IS NULL;

-- Consumer-side dedupe: Kafka delivery is at-least-once (a relay may republish after a crash, a
-- consumer may be redelivered after a rebalance). A consumer records each event id it handled in
-- the same transaction as its write, so a redelivered event changes nothing.
CREATE TABLE consumer_processed_events (
  consumer_group  text        NOT NULL,
  event_id        uuid        NOT NULL,
  topic           text        NOT NULL,
  kafka_partition integer     NOT NULL,
  kafka_offset    bigint      NOT NULL,
  processed_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, event_id)
);
CREATE INDEX consumer_processed_events_processed_at_idx ON consumer_processed_events (processed_at);

-- Messages a consumer could not accept (not JSON, invalid envelope, unknown schema version, bad
-- data for its type): kept with the reason and the exact bytes, and the consumer moves on.
CREATE TABLE event_dead_letters (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consumer_group  text        NOT NULL,
  topic           text        NOT NULL,
  kafka_partition integer     NOT NULL,
  kafka_offset    bigint      NOT NULL,
  message_key     text,
  reason          text        NOT NULL,
  raw             bytea,
  received_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (consumer_group, topic, kafka_partition, kafka_offset)
);

-- Keyset pagination of the audit store over time.
CREATE INDEX audit_events_time_idx ON audit_events (time, id);

-- Training mode: every event of a training session (subject = the training run / session id).
CREATE TABLE training_events (
  id           uuid PRIMARY KEY,
  type         text        NOT NULL,
  source       text        NOT NULL,
  tenant       text        NOT NULL,
  session_id   text        NOT NULL,
  time         timestamptz NOT NULL,
  data         jsonb       NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX training_events_session_idx ON training_events (session_id, time);
CREATE INDEX training_events_tenant_idx ON training_events (tenant, time);

-- One record per training session, derived from its events so it can never disagree with them.
CREATE VIEW training_sessions AS
SELECT session_id,
       tenant,
       min(time)                                 AS started_at,
       max(time)                                 AS last_event_at,
       count(*)                                  AS event_count,
       (array_agg(type ORDER BY time DESC, recorded_at DESC))[1] AS last_event_type,
       bool_or(type LIKE '%.closed' OR type LIKE '%.completed' OR type LIKE '%.cancelled') AS closed
FROM training_events
GROUP BY session_id, tenant;

-- Down Migration
DROP VIEW training_sessions;
DROP TABLE training_events;
DROP INDEX audit_events_time_idx;
DROP TABLE event_dead_letters;
DROP TABLE consumer_processed_events;
DROP INDEX outbox_pending_seq_idx;
ALTER TABLE outbox DROP COLUMN rejected_at;
