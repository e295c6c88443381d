-- Security hardening: counters of uses per key (failed logins, SMS codes,
-- public requests) that replace login_failures, idempotency keys of ticket
-- creation, the snapshot a department delivery carries, and one-time codes
-- that prove a citizen's phone.

DROP TABLE login_failures;

-- A fixed window per key: uses counted since window_start until window_end.
CREATE TABLE quotas (
    key        text PRIMARY KEY CHECK (octet_length(key) <= 300),
    uses       integer NOT NULL,
    window_end timestamptz NOT NULL
);
CREATE INDEX quotas_window_end ON quotas (window_end);

---- create above / drop below ----

DROP TABLE quotas;
CREATE TABLE login_failures (
    key      text PRIMARY KEY,
    count    integer NOT NULL,
    first_at timestamptz NOT NULL
);
