-- Up Migration

-- Memory snapshots: named, immutable documents a tenant keeps (KPI definitions, a design system,
-- component owners) that capsules read at run start as {{ memory.<id> }}. A (tenant, name,
-- version) is written once; `latest` resolves to the newest by `seq`, never by the label, so
-- labels need not sort.
CREATE TABLE memory_snapshots (
  seq          bigserial   PRIMARY KEY,
  tenant       text        NOT NULL,
  name         text        NOT NULL,
  version      text        NOT NULL CHECK (version <> 'latest'),
  content      jsonb       NOT NULL,
  digest       text        NOT NULL,
  description  text,
  created_by   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, name, version)
);
CREATE INDEX memory_snapshots_latest_idx ON memory_snapshots (tenant, name, seq DESC);

-- Down Migration

DROP TABLE memory_snapshots;
