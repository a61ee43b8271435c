-- Workspace secrets and admin token rotation (issue 15).

-- Secrets a workflow's HTTP step references as `{{ secrets.NAME }}`, encrypted at rest with
-- the server's secret key (ChaCha20-Poly1305; `key_id` names the key that sealed the row, so
-- rows sealed with a previous key are found and re-encrypted). Values are write-only
-- through the API. `nonce` and `ciphertext` are base64.
CREATE TABLE secrets (
    name       TEXT PRIMARY KEY,
    key_id     TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    ciphertext TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Where a token came from: `api` (created by an admin), `configured` (SWITCHBOARD_ADMIN_TOKEN;
-- a newly configured one replaces it) or `generated` (the first admin token, printed once).
ALTER TABLE api_tokens ADD COLUMN origin TEXT NOT NULL DEFAULT 'api';
UPDATE api_tokens SET origin = 'configured' WHERE name = 'admin (from the environment)' AND role = 'admin';
-- Only the very first token can be the generated one (an admin may have named another token alike).
UPDATE api_tokens SET origin = 'generated'
 WHERE name = 'first admin' AND role = 'admin' AND id = (SELECT MIN(id) FROM api_tokens);
