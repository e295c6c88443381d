-- Canned replies (常用语) agents insert into a chat's reply box
-- (canned.Reply). Admins keep them; a deactivated reply stays for the
-- record but is no longer offered. A shortcut is unique among all
-- replies, so "/" plus a shortcut picks one reply whatever is active.
CREATE TABLE canned_replies (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 60),
    body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    category   text NOT NULL DEFAULT '' CHECK (length(category) <= 40),
    shortcut   text NOT NULL DEFAULT '' CHECK (length(shortcut) <= 32),
    sort_order integer NOT NULL DEFAULT 0 CHECK (sort_order BETWEEN 0 AND 9999),
    active     boolean NOT NULL DEFAULT true,
    updated_by text NOT NULL CHECK (length(updated_by) BETWEEN 1 AND 64),
    updated_at timestamptz NOT NULL
);

CREATE UNIQUE INDEX canned_replies_shortcut ON canned_replies (lower(shortcut)) WHERE shortcut <> '';
CREATE INDEX canned_replies_order ON canned_replies (sort_order, title, id);

---- create above / drop below ----

DROP TABLE canned_replies;
