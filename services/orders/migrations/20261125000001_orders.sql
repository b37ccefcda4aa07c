-- The event store: the only source of truth about orders. Append-only;
-- (order_id, version) is unique, which is the optimistic concurrency check:
-- two writers that read the same version cannot both append.
CREATE TABLE order_events (
    order_id        UUID NOT NULL,
    version         INT NOT NULL CHECK (version > 0),
    event_type      TEXT NOT NULL,
    schema_version  INT NOT NULL,
    data            JSONB NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, version)
);

-- The read model (CQRS): one row per order, denormalised for the API,
-- updated from the events in the transaction that appends them.
CREATE TABLE order_views (
    order_id       UUID PRIMARY KEY,
    customer_id    UUID NOT NULL,
    status         TEXT NOT NULL,
    cancel_reason  TEXT,
    currency       TEXT NOT NULL,
    total_minor    BIGINT NOT NULL,
    item_count     INT NOT NULL,
    lines          JSONB NOT NULL,
    payment_id     UUID,
    version        INT NOT NULL,
    placed_at      TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX order_views_customer_idx ON order_views (customer_id, placed_at DESC);

-- Saga progress, step by step, so that a restart resumes where it stopped.
-- A runner holds a lease; a lease that runs out (the runner died) lets
-- another runner take over.
CREATE TABLE sagas (
    order_id          UUID PRIMARY KEY,
    step              TEXT NOT NULL CHECK (step IN ('reserve', 'charge', 'commit', 'compensate', 'done')),
    payment_method    TEXT NOT NULL,
    -- The charge call ended without an answer: it may or may not have happened.
    charge_uncertain  BOOLEAN NOT NULL DEFAULT false,
    attempts          INT NOT NULL DEFAULT 0,
    next_attempt_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_until       TIMESTAMPTZ,
    last_error        TEXT,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sagas_due_idx ON sagas (next_attempt_at) WHERE step <> 'done';

-- Idempotency-Key of POST /api/v1/orders, per customer.
CREATE TABLE order_requests (
    customer_id   UUID NOT NULL,
    key           TEXT NOT NULL,
    request_hash  BYTEA NOT NULL,
    order_id      UUID NOT NULL,
    PRIMARY KEY (customer_id, key)
);

-- Events on their way to the broker (transactional outbox).
CREATE TABLE outbox (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id    UUID NOT NULL UNIQUE,
    event_type    TEXT NOT NULL,
    payload       JSONB NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at  TIMESTAMPTZ
);
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;
