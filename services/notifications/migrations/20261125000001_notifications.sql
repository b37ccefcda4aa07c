-- What was sent (or deliberately not sent) about each order event. One row
-- per event: event_id is unique, which is what "exactly once" rests on.
CREATE TABLE notifications (
    id                   UUID PRIMARY KEY,
    user_id              UUID NOT NULL,
    order_id             UUID NOT NULL,
    event_id             UUID NOT NULL UNIQUE,
    kind                 TEXT NOT NULL CHECK (kind IN ('order_confirmed', 'order_cancelled')),
    recipient            TEXT,
    subject              TEXT NOT NULL,
    -- sent, or skipped (no address on file, e.g. an operator account)
    status               TEXT NOT NULL CHECK (status IN ('sent', 'skipped')),
    provider_message_id  TEXT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC);

-- Order events already handled (idempotent consumer).
CREATE TABLE processed_messages (
    consumer TEXT NOT NULL, message_id UUID NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (consumer, message_id)
);
