-- Stock per product. Every unit ever stocked is in exactly one bucket:
-- available, reserved (held for an order) or sold. The CHECK makes the
-- invariant a property of the database, not only of the code.
CREATE TABLE stock (
    product_id  BIGINT PRIMARY KEY,
    available   INT NOT NULL CHECK (available >= 0),
    reserved    INT NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    sold        INT NOT NULL DEFAULT 0 CHECK (sold >= 0),
    stocked     INT NOT NULL CHECK (stocked >= 0),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (available + reserved + sold = stocked)
);

-- One reservation per order. 'released' without lines is a tombstone: the
-- order was cancelled before (or without) reserving, and a late reserve
-- request for it must not succeed.
CREATE TABLE reservations (
    order_id    UUID PRIMARY KEY,
    status      TEXT NOT NULL CHECK (status IN ('reserved', 'committed', 'released', 'returned')),
    expires_at  TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX reservations_expiry_idx ON reservations (expires_at) WHERE status = 'reserved';

CREATE TABLE reservation_lines (
    order_id    UUID NOT NULL REFERENCES reservations (order_id) ON DELETE CASCADE,
    product_id  BIGINT NOT NULL,
    quantity    INT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, product_id)
);

-- Order events already applied (idempotent consumer).
CREATE TABLE processed_messages (
    consumer TEXT NOT NULL, message_id UUID NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (consumer, message_id)
);
