-- The hiscore board reads accounts best first (ties by name) and a search counts those ahead
-- of one account: both walk this index instead of sorting every account.
CREATE INDEX IF NOT EXISTS accounts_by_best_score ON accounts (best_score DESC, username_key);
