-- Up Migration

-- Capsule registry: every published version of every capsule. A version is immutable: the
-- primary key plus the content hash let publish be idempotent (same content: no-op) and reject
-- a changed document under an existing version.
CREATE TABLE capsule_versions (
  capsule_id          text        NOT NULL,
  version             text        NOT NULL,
  content_hash        text        NOT NULL,
  -- Validated document (defaults applied); what resolve returns and what is compiled.
  document            jsonb       NOT NULL,
  -- The text as the author wrote it (YAML or JSON), kept so nothing is lost.
  source              text,
  title               text        NOT NULL,
  type                text        NOT NULL,
  published_at        timestamptz NOT NULL DEFAULT now(),
  published_by        text,
  deprecated_at       timestamptz,
  deprecation_reason  text,
  PRIMARY KEY (capsule_id, version)
);

CREATE TABLE persona_versions (
  persona_id          text        NOT NULL,
  version             text        NOT NULL,
  content_hash        text        NOT NULL,
  document            jsonb       NOT NULL,
  source              text,
  name                text        NOT NULL,
  published_at        timestamptz NOT NULL DEFAULT now(),
  published_by        text,
  deprecated_at       timestamptz,
  deprecation_reason  text,
  PRIMARY KEY (persona_id, version)
);

-- Learned forecast coefficients per scope (e.g. 'global' or a tenant), updated from run usage.
CREATE TABLE forecast_coefficients (
  scope         text        PRIMARY KEY,
  coefficients  jsonb       NOT NULL,
  runs          integer     NOT NULL DEFAULT 0,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE forecast_coefficients;
DROP TABLE persona_versions;
DROP TABLE capsule_versions;
