-- Up Migration

-- Signed approval and review tokens already spent. A token decides one approval of one run:
-- the first verification records it here, a retried verification of the same use finds its own
-- row, and any other use (another run, another approval, a replay after the decision) is refused.
-- Rows outlive their token's expiry only until housekeeping deletes them (the token is then
-- refused as expired anyway).
CREATE TABLE approval_token_uses (
  token_digest  text        PRIMARY KEY,
  approval_id   text        NOT NULL,
  workflow_id   text        NOT NULL,
  run_id        text        NOT NULL,
  tenant        text        NOT NULL,
  subject       text        NOT NULL,
  used_at       timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL
);
CREATE INDEX approval_token_uses_expiry_idx ON approval_token_uses (expires_at);

-- Down Migration

DROP TABLE approval_token_uses;
