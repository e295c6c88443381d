-- Images sent in web chats. The content, decoded and re-encoded (no
-- EXIF, no GPS), lives in the file store with the tickets' attachments,
-- named by storage_key; the message that shows an image names it in
-- chat_messages.attachment as 'image:<id>'.
CREATE TABLE chat_images (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id      bigint NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    size         bigint NOT NULL CHECK (size > 0),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    storage_key  text NOT NULL UNIQUE CHECK (storage_key <> ''),
    width        integer NOT NULL CHECK (width > 0),
    height       integer NOT NULL CHECK (height > 0),
    sender       text NOT NULL CHECK (sender IN ('citizen', 'agent')),
    agent        text NOT NULL DEFAULT '' CHECK (length(agent) <= 64),
    created_at   timestamptz NOT NULL
);
CREATE INDEX chat_images_chat ON chat_images (chat_id, id);

-- A ticket made from a chat carries its transcript as a UTF-8 text file.
ALTER TABLE attachments DROP CONSTRAINT attachments_content_type_check,
    ADD CONSTRAINT attachments_content_type_check CHECK (content_type IN
        ('image/jpeg', 'image/png', 'image/webp', 'image/gif', 'application/pdf', 'text/plain; charset=utf-8'));

---- create above / drop below ----

DELETE FROM attachments WHERE content_type = 'text/plain; charset=utf-8';
ALTER TABLE attachments DROP CONSTRAINT attachments_content_type_check,
    ADD CONSTRAINT attachments_content_type_check CHECK (content_type IN
        ('image/jpeg', 'image/png', 'image/webp', 'image/gif', 'application/pdf'));
DROP TABLE chat_images;
