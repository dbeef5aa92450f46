-- Serves BfAuthToken.deleteExpired: expired tokens of every org, found by their expiry.
-- expiresAt is ISO-8601 UTC with milliseconds, which sorts as text.
CREATE INDEX IF NOT EXISTS bfdb_auth_tokens_expiry ON bfdb ((props->>'expiresAt'))
  WHERE class_name = 'BfAuthToken';
