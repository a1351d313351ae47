-- Up Migration

-- Long-term memory of personas, scoped by tenant, then optionally capsule and persona (NULL means
-- shared at the wider scope). Full-text ranking uses the generated tsvector; embeddings are kept
-- as float8[] because pgvector is not available everywhere we run (cosine is computed below).
CREATE TABLE memory_items (
  id               uuid PRIMARY KEY,
  tenant           text        NOT NULL,
  capsule          text,
  persona          text,
  kind             text        NOT NULL DEFAULT 'note',
  content          text        NOT NULL,
  tags             text[]      NOT NULL DEFAULT '{}',
  embedding        float8[],
  idempotency_key  text UNIQUE,
  tsv              tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX memory_items_tsv_idx ON memory_items USING gin (tsv);
CREATE INDEX memory_items_scope_idx ON memory_items (tenant, capsule, persona, created_at DESC);

-- Directed, labelled edges between memories of one tenant (the memory graph).
CREATE TABLE memory_links (
  tenant      text        NOT NULL,
  from_id     uuid        NOT NULL REFERENCES memory_items (id) ON DELETE CASCADE,
  to_id       uuid        NOT NULL REFERENCES memory_items (id) ON DELETE CASCADE,
  relation    text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (from_id, to_id, relation)
);
CREATE INDEX memory_links_to_idx ON memory_links (to_id);

-- Cosine similarity of two equal-length vectors; NULL when either is missing or a zero vector.
CREATE FUNCTION cosine_similarity(a float8[], b float8[]) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN norm_a = 0 OR norm_b = 0 THEN NULL ELSE dot / (sqrt(norm_a) * sqrt(norm_b)) END
  FROM (
    SELECT sum(x * y) AS dot, sum(x * x) AS norm_a, sum(y * y) AS norm_b
    FROM unnest(a, b) AS t(x, y)
  ) s
$$;

-- Results of tool side effects keyed by workflow run + activity + call index: a retried or
-- replayed activity returns the recorded result instead of repeating the effect.
CREATE TABLE tool_executions (
  idempotency_key  text PRIMARY KEY,
  tool_id          text        NOT NULL,
  workflow_id      text        NOT NULL,
  result           jsonb       NOT NULL,
  executed_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tool_executions_workflow_idx ON tool_executions (workflow_id, executed_at);

-- Large Temporal payloads kept out of workflow history, content-addressed by SHA-256 over the
-- payload's metadata and data, so identical payloads are stored once. Data is kept apart from the
-- (small, protobuf-encoded) metadata so megabytes are never re-serialized.
CREATE TABLE payload_blobs (
  sha256      bytea PRIMARY KEY CHECK (octet_length(sha256) = 32),
  metadata    bytea       NOT NULL,
  data        bytea       NOT NULL,
  size_bytes  integer     NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE payload_blobs;
DROP TABLE tool_executions;
DROP FUNCTION cosine_similarity(float8[], float8[]);
DROP TABLE memory_links;
DROP TABLE memory_items;
