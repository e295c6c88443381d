-- The core of the ticket system: departments, staff, sessions, tickets and
-- their append-only history, the working-day calendar, deadline policies
-- and the dispatch catalogue.

-- pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE departments (
    code           text PRIMARY KEY,
    name           text NOT NULL,
    parent         text REFERENCES departments (code),
    region         text NOT NULL DEFAULT '',
    webhook_url    text NOT NULL DEFAULT '',
    webhook_secret text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL
);

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    display_name  text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent', 'department')),
    department    text REFERENCES departments (code),
    password_hash text NOT NULL,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    CHECK ((role = 'department') = (department IS NOT NULL))
);

-- Bearer tokens and session cookies, stored as SHA-256 hashes.
CREATE TABLE tokens (
    hash       bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX tokens_expires_at ON tokens (expires_at);

CREATE TABLE login_failures (
    key      text PRIMARY KEY,
    count    integer NOT NULL,
    first_at timestamptz NOT NULL
);

-- Ticket IDs come from this sequence before the insert, because the
-- human-readable number is formed from the ID.
CREATE SEQUENCE tickets_id_seq;

CREATE TABLE tickets (
    id                bigint PRIMARY KEY,
    -- The number is the local creation date followed by the ID, so it is
    -- unique by construction and found through the primary key; the check
    -- keeps it so without the cost of a second unique index.
    number            text NOT NULL CHECK (substr(number, 9)::bigint = id),
    kind              text NOT NULL CHECK (kind IN ('consultation', 'help', 'complaint', 'report', 'suggestion', 'praise')),
    channel           text NOT NULL CHECK (channel IN ('phone', 'webchat', 'web', 'api')),
    status            text NOT NULL CHECK (status IN ('accepted', 'dispatched', 'in_progress', 'returned', 'replied', 'closed', 'merged', 'rejected')),
    urgency           text NOT NULL CHECK (urgency IN ('normal', 'utility', 'urgent')),
    title             text NOT NULL,
    content           text NOT NULL,
    citizen_name      text NOT NULL DEFAULT '',
    citizen_phone     text NOT NULL DEFAULT '',
    citizen_id_number text NOT NULL DEFAULT '',
    citizen_address   text NOT NULL DEFAULT '',
    confidential      boolean NOT NULL DEFAULT false,
    category          text NOT NULL DEFAULT '',
    region            text NOT NULL DEFAULT '',
    call_id           text NOT NULL DEFAULT '',
    chat_id           text NOT NULL DEFAULT '',
    department        text REFERENCES departments (code),
    co_departments    text[] NOT NULL DEFAULT '{}',
    dispatched_at     timestamptz,
    sign_due_at       timestamptz,
    signed_at         timestamptz,
    due_at            timestamptz,
    replied_at        timestamptz,
    closed_at         timestamptz,
    reply             text NOT NULL DEFAULT '',
    dispatch_count    integer NOT NULL DEFAULT 0,
    return_count      integer NOT NULL DEFAULT 0,
    reopen_count      integer NOT NULL DEFAULT 0,
    urge_count        integer NOT NULL DEFAULT 0,
    extension         jsonb,
    satisfaction      smallint CHECK (satisfaction BETWEEN 1 AND 5),
    satisfied         boolean,
    callback_at       timestamptz,
    merged_into       bigint REFERENCES tickets (id),
    created_by        bigint REFERENCES users (id),
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    version           integer NOT NULL
);

-- Lists are newest first (ORDER BY id DESC) with keyset pagination on id;
-- each common filter has an index ending in id. Every index costs each
-- ticket insert, so there are few: kind is filtered inside the status
-- index's range, tickets without a department or supporting departments
-- are left out of those indexes, and creation time (append-only order)
-- gets a BRIN index, tiny and nearly free to maintain.
CREATE INDEX tickets_status ON tickets (status, id DESC);
CREATE INDEX tickets_department ON tickets (department, status, id DESC) WHERE department IS NOT NULL;
CREATE INDEX tickets_co_departments ON tickets USING gin (co_departments) WHERE co_departments <> '{}';
CREATE INDEX tickets_citizen_phone ON tickets (citizen_phone, id DESC) WHERE citizen_phone <> '';
CREATE INDEX tickets_created_at ON tickets USING brin (created_at);
-- Substring search of title and content; pg_trgm splits Chinese text into
-- character trigrams too (the cluster's ctype is C.UTF-8).
CREATE INDEX tickets_text ON tickets USING gin ((title || ' ' || content) gin_trgm_ops);

CREATE TABLE ticket_events (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id        bigint NOT NULL REFERENCES tickets (id),
    at               timestamptz NOT NULL,
    actor_id         bigint REFERENCES users (id),
    actor_name       text NOT NULL,
    actor_role       text NOT NULL,
    actor_department text NOT NULL DEFAULT '',
    action           text NOT NULL,
    status_from      text NOT NULL DEFAULT '',
    status_to        text NOT NULL,
    payload          jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

-- The history is append-only: the database itself refuses to change it.
CREATE FUNCTION ticket_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket_events is append-only';
END
$$;
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE OR DELETE ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only();
CREATE TRIGGER ticket_events_no_truncate BEFORE TRUNCATE ON ticket_events
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_events_append_only();

CREATE TABLE calendar_years (
    year     integer PRIMARY KEY,
    holidays date[] NOT NULL,
    workdays date[] NOT NULL
);

CREATE TABLE deadline_policies (
    kind              text NOT NULL,
    urgency           text NOT NULL,
    sign_working_days integer NOT NULL,
    sign_minutes      integer NOT NULL,
    due_working_days  integer NOT NULL,
    due_minutes       integer NOT NULL,
    PRIMARY KEY (kind, urgency)
);

-- Small named settings, such as the return window of deadline policies.
CREATE TABLE settings (
    key   text PRIMARY KEY,
    value jsonb NOT NULL
);

-- The dispatch catalogue (派单目录): two levels of categories.
CREATE TABLE catalogue_categories (
    code        text PRIMARY KEY,
    parent      text REFERENCES catalogue_categories (code) ON DELETE CASCADE,
    name        text NOT NULL,
    departments text[] NOT NULL DEFAULT '{}',
    position    integer NOT NULL
);

---- create above / drop below ----

DROP TABLE catalogue_categories, settings, deadline_policies, calendar_years;
DROP TABLE ticket_events;
DROP FUNCTION ticket_events_append_only;
DROP TABLE tickets;
DROP SEQUENCE tickets_id_seq;
DROP TABLE login_failures, tokens, users, departments;
