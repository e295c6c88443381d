-- Agents' SIP credentials (the HA1 digest of RFC 2617 for one realm, never
-- the password) and the registrations of their phones, so that a restart
-- keeps every phone reachable.

CREATE TABLE sip_credentials (
    username   text PRIMARY KEY REFERENCES users (username) ON DELETE CASCADE ON UPDATE CASCADE,
    realm      text NOT NULL,
    ha1        text NOT NULL CHECK (ha1 ~ '^[0-9a-f]{32}$'),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sip_registrations (
    agent      text NOT NULL REFERENCES users (username) ON DELETE CASCADE ON UPDATE CASCADE,
    contact    text NOT NULL CHECK (length(contact) <= 1024),
    source     text NOT NULL,
    transport  text NOT NULL,
    expires_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (agent, contact)
);

---- create above / drop below ----

DROP TABLE sip_registrations;
DROP TABLE sip_credentials;
