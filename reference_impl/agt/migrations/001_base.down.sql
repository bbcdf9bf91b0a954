DROP TABLE IF EXISTS commands;
DROP TABLE IF EXISTS refresh_tokens;
DROP TABLE IF EXISTS registration_tokens;
DROP TABLE IF EXISTS agents;
