-- What the chat bot remembers between a citizen's messages, and the idle
-- sweep's warning. A progress query waits for the phone of
-- lookup_number; lookup_tries counts wrong number-and-phone pairs (the
-- bot stops at three). idle_warned_at is when the citizen was told that
-- the chat will close for silence; a message after it makes it stale.

ALTER TABLE chats
    ADD COLUMN lookup_number  text NOT NULL DEFAULT '' CHECK (length(lookup_number) <= 32),
    ADD COLUMN lookup_tries   smallint NOT NULL DEFAULT 0 CHECK (lookup_tries >= 0),
    ADD COLUMN idle_warned_at timestamptz;

-- A citizen's past chats, by the phone they gave or proved, for the
-- agents' screen pop.
CREATE INDEX chats_phone ON chats (phone, id DESC) WHERE phone <> '';
