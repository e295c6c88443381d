-- Citizens' web chats and their transcripts. A message is stored before
-- it is acknowledged; seq numbers each chat's messages from 1 without
-- gaps (chats.last_seq, taken under the chat's row lock), and a
-- citizen's client_id makes a resend store nothing new. The resume
-- token is kept only as its SHA-256.

CREATE TABLE chats (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    started_at   timestamptz NOT NULL,
    ended_at     timestamptz,
    state        text NOT NULL DEFAULT 'bot' CHECK (state IN ('bot', 'queued', 'agent', 'closed')),
    queue        text NOT NULL DEFAULT '' CHECK (length(queue) <= 64),
    agent        text NOT NULL DEFAULT '' CHECK (length(agent) <= 64),
    outcome      text CHECK (outcome IN ('bot_only', 'answered', 'abandoned', 'left_message')),
    satisfaction smallint CHECK (satisfaction BETWEEN 1 AND 5),
    phone        text NOT NULL DEFAULT '' CHECK (length(phone) <= 20),
    ticket_id    bigint REFERENCES tickets (id),
    client_addr  text NOT NULL DEFAULT '' CHECK (length(client_addr) <= 64),
    last_seq     integer NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    unanswered   smallint NOT NULL DEFAULT 0, -- questions in a row the bot found nothing for
    CHECK ((state = 'closed') = (ended_at IS NOT NULL))
);

CREATE INDEX chats_started_at ON chats (started_at);
CREATE INDEX chats_agent ON chats (agent, id) WHERE agent <> '';
CREATE INDEX chats_open ON chats (state) WHERE state <> 'closed';

CREATE TABLE chat_messages (
    chat_id    bigint NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    seq        integer NOT NULL CHECK (seq > 0),
    sender     text NOT NULL CHECK (sender IN ('citizen', 'bot', 'agent', 'system')),
    agent      text NOT NULL DEFAULT '' CHECK (length(agent) <= 64),
    body       text NOT NULL CHECK (length(body) <= 4000),
    at         timestamptz NOT NULL,
    client_id  text CHECK (length(client_id) BETWEEN 1 AND 64),
    guides     jsonb NOT NULL DEFAULT '[]',
    attachment text NOT NULL DEFAULT '' CHECK (length(attachment) <= 128),
    PRIMARY KEY (chat_id, seq),
    UNIQUE (chat_id, client_id)
);
