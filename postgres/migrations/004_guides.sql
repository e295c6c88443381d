-- The knowledge base: matter guides (办事指南), their history, and the
-- synonym table. guide_changes is the ordered feed the search indexes
-- follow; every writer takes the guide_changes advisory lock first, so
-- that seq order is commit order and a reader never skips a change.
CREATE TABLE guides (
    code        text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    name        text NOT NULL CHECK (name <> ''),
    department  text NOT NULL REFERENCES departments (code),
    category    text NOT NULL DEFAULT '',
    scope       text NOT NULL DEFAULT '',
    conditions  text NOT NULL DEFAULT '',
    materials   jsonb NOT NULL DEFAULT '[]',
    process     text NOT NULL DEFAULT '',
    time_limit  text NOT NULL DEFAULT '',
    fee         text NOT NULL DEFAULT '',
    location    text NOT NULL DEFAULT '',
    hours       text NOT NULL DEFAULT '',
    phone       text NOT NULL DEFAULT '',
    legal_basis text NOT NULL DEFAULT '',
    online_url  text NOT NULL DEFAULT '',
    keywords    text[] NOT NULL DEFAULT '{}',
    status      text NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    review_by   date,
    version     integer NOT NULL CHECK (version > 0),
    updated_at  timestamptz NOT NULL,
    updated_by  text NOT NULL DEFAULT ''
);
CREATE INDEX guides_department ON guides (department, code);
CREATE INDEX guides_review ON guides (review_by) WHERE status = 'published';

CREATE TABLE guide_changes (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code     text NOT NULL, -- '' when the synonym table changed
    version  integer NOT NULL DEFAULT 0,
    action   text NOT NULL CHECK (action IN ('created', 'updated', 'deleted', 'imported', 'synonyms')),
    changed  text[] NOT NULL DEFAULT '{}',
    by_user  text NOT NULL DEFAULT '',
    at       timestamptz NOT NULL,
    snapshot jsonb -- the guide as saved; NULL for deletions and synonyms
);
CREATE INDEX guide_changes_code ON guide_changes (code, seq);

CREATE TABLE synonyms (
    id         integer PRIMARY KEY CHECK (id = 1),
    entries    jsonb NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by text NOT NULL DEFAULT ''
);

-- The guide an agent answered a consultation with (close_directly), so
-- that reports can count answers by guide. No foreign key: a deleted
-- guide's answers still count.
ALTER TABLE tickets ADD COLUMN guide_code text;
CREATE INDEX tickets_guide_code ON tickets (guide_code) WHERE guide_code IS NOT NULL;

---- create above / drop below ----

ALTER TABLE tickets DROP COLUMN guide_code;
DROP TABLE synonyms;
DROP TABLE guide_changes;
DROP TABLE guides;
