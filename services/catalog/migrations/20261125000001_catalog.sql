-- Categories and products of the catalog. Prices in minor units.
CREATE TABLE categories (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE products (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku          TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    price_cents  BIGINT NOT NULL CHECK (price_cents >= 0),
    currency     TEXT NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    category_id  BIGINT NOT NULL REFERENCES categories (id),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Full-text search over name and description, kept current by Postgres.
    search       TSVECTOR GENERATED ALWAYS AS
                 (to_tsvector('english', name || ' ' || description)) STORED
);

CREATE INDEX products_search_idx ON products USING GIN (search);
CREATE INDEX products_category_idx ON products (category_id, created_at DESC);
