-- Files attached to tickets (photos of the fixed problem, PDF letters).
-- The content lives in the file store under HOTLINE_DATA_DIR/attachments,
-- named by storage_key, a random key the server chose; the client's file
-- name is kept only here, cleaned, for display and download.
CREATE TABLE attachments (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id           bigint NOT NULL REFERENCES tickets (id),
    name                text NOT NULL CHECK (name <> '' AND char_length(name) <= 200),
    content_type        text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp', 'image/gif', 'application/pdf')),
    size                bigint NOT NULL CHECK (size > 0),
    sha256              text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    -- Unique, so that removing one attachment's blob never removes another's.
    storage_key         text NOT NULL UNIQUE CHECK (storage_key <> ''),
    uploaded_by         bigint REFERENCES users (id),
    uploader_name       text NOT NULL,
    uploader_role       text NOT NULL,
    uploader_department text NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL
);
CREATE INDEX attachments_ticket ON attachments (ticket_id, id);

---- create above / drop below ----

DROP TABLE attachments;
