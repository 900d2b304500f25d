-- Player accounts. `username_key` is the lower-cased username: it makes names unique whatever
-- their case. `password_hash` is an Argon2id PHC string (never a password). `color` and
-- `best_score` are for the world: a player's colour and best score follow the account.
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    color INTEGER NOT NULL DEFAULT 0,
    best_score INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL
);
