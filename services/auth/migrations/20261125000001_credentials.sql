-- Who may log in, and how. Passwords only as argon2id PHC strings.
CREATE TABLE credentials (
    user_id        UUID PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('customer', 'admin')),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Refresh tokens, stored as SHA-256 hashes. Each login starts a family;
-- each refresh uses one token up and issues the next of the same family.
-- A used token presented again means it was stolen: the family is revoked.
CREATE TABLE refresh_tokens (
    id          UUID PRIMARY KEY,
    family_id   UUID NOT NULL,
    user_id     UUID NOT NULL REFERENCES credentials (user_id) ON DELETE CASCADE,
    token_hash  BYTEA NOT NULL UNIQUE,
    expires_at  TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    used_at     TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ
);

CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
