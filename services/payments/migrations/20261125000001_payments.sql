-- Payments, amounts in minor units with an explicit currency.
CREATE TABLE payments (
    id                  UUID PRIMARY KEY,
    order_id            UUID NOT NULL,
    amount_minor        BIGINT NOT NULL CHECK (amount_minor > 0),
    currency            TEXT NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status              TEXT NOT NULL CHECK (status IN ('captured', 'declined', 'refunded')),
    provider_charge_id  TEXT NOT NULL,
    provider_refund_id  TEXT,
    decline_code        TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX payments_order_idx ON payments (order_id);

-- The first answer to each Idempotency-Key, replayed for repeats. While a
-- request runs, its row is locked for a while (locked_until); a request
-- that died leaves a row that the next attempt may take over.
CREATE TABLE idempotency_keys (
    key              TEXT PRIMARY KEY,
    request_hash     BYTEA NOT NULL,
    response_status  SMALLINT,
    response_body    JSONB,
    locked_until     TIMESTAMPTZ NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
