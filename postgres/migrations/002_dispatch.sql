-- Dispatch: the transactional outbox, deliveries to departments, citizen
-- notifications, and the supervision record of tickets.

-- Supervision (督办) of deadlines and callbacks. Each *_at mark is set once
-- by the sweep; the partial indexes hold only tickets still waiting for one,
-- so a sweep reads a handful of index entries however many tickets exist.
ALTER TABLE tickets
    ADD COLUMN warn_at              timestamptz,
    ADD COLUMN warned_at            timestamptz,
    ADD COLUMN overdue_at           timestamptz,
    ADD COLUMN sign_overdue_at      timestamptz,
    ADD COLUMN callback_due_at      timestamptz,
    ADD COLUMN callback_notified_at timestamptz;
CREATE INDEX tickets_warn_due ON tickets (warn_at)
    WHERE warned_at IS NULL AND status IN ('dispatched', 'in_progress');
CREATE INDEX tickets_overdue ON tickets (due_at)
    WHERE overdue_at IS NULL AND status IN ('dispatched', 'in_progress');
CREATE INDEX tickets_sign_overdue ON tickets (sign_due_at)
    WHERE sign_overdue_at IS NULL AND status = 'dispatched';
CREATE INDEX tickets_callback_due ON tickets (callback_due_at)
    WHERE status = 'replied';

-- The outbox: work for the queue, written in the same transaction as the
-- change that causes it. The relay enqueues each row as an Asynq task whose
-- ID is the row's ID, then sets enqueued_at; the task's handler sets done_at.
CREATE TABLE outbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic       text NOT NULL CHECK (topic IN ('department', 'citizen', 'staff')),
    urgent      boolean NOT NULL DEFAULT false,
    ticket_id   bigint NOT NULL REFERENCES tickets (id),
    message     jsonb NOT NULL,
    delivery_id uuid,
    created_at  timestamptz NOT NULL,
    enqueued_at timestamptz,
    done_at     timestamptz
);
CREATE INDEX outbox_pending ON outbox (id) WHERE enqueued_at IS NULL;
CREATE INDEX outbox_unfinished ON outbox (enqueued_at) WHERE done_at IS NULL AND enqueued_at IS NOT NULL;
CREATE INDEX outbox_done ON outbox (done_at) WHERE done_at IS NOT NULL;

-- A delivery of one ticket event to one department: its console and, if it
-- has one, its webhook. The ID is the X-Hotline-Delivery idempotency key:
-- it stays the same across every attempt and every manual retry.
CREATE TABLE deliveries (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    department   text NOT NULL REFERENCES departments (code),
    ticket_id    bigint NOT NULL REFERENCES tickets (id),
    event        text NOT NULL,
    detail       jsonb NOT NULL DEFAULT '{}',
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    webhook_url  text NOT NULL DEFAULT '',
    attempts     integer NOT NULL DEFAULT 0,
    last_status  integer NOT NULL DEFAULT 0,
    last_error   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    delivered_at timestamptz
);
CREATE INDEX deliveries_state ON deliveries (state, created_at DESC);
CREATE INDEX deliveries_ticket ON deliveries (ticket_id);

-- Citizen notifications (SMS), one per outbox message.
CREATE TABLE notifications (
    outbox_id   bigint PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
    ticket_id   bigint NOT NULL REFERENCES tickets (id),
    template    text NOT NULL,
    recipient   text NOT NULL, -- masked
    state       text NOT NULL CHECK (state IN ('sent', 'failed', 'skipped')),
    attempts    integer NOT NULL DEFAULT 0,
    provider_id text NOT NULL DEFAULT '',
    last_error  text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL
);

---- create above / drop below ----

DROP TABLE notifications, deliveries;
DROP TABLE outbox;
ALTER TABLE tickets DROP COLUMN warn_at, DROP COLUMN warned_at, DROP COLUMN overdue_at,
    DROP COLUMN sign_overdue_at, DROP COLUMN callback_due_at, DROP COLUMN callback_notified_at;
