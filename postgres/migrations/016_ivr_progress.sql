-- A menu choice's action (telephony.MenuAction): 'queue' waits in the
-- choice's queue, 'progress' reads a ticket's progress back to the caller
-- (the caller keys the number; key 0 afterwards waits in the queue). Key
-- 4 of the seeded menu (进度查询), which played the hold prompt and
-- waited in general until the lookup existed, becomes the lookup, unless
-- an admin has given the key another meaning meanwhile.
ALTER TABLE ivr_menu
    ADD COLUMN action text NOT NULL DEFAULT 'queue' CHECK (action IN ('queue', 'progress'));

UPDATE ivr_menu SET action = 'progress', prompt = NULL
    WHERE key = '4' AND label = '进度查询' AND prompt = 'hold';

---- create above / drop below ----

UPDATE ivr_menu SET prompt = 'hold' WHERE action = 'progress' AND prompt IS NULL;
ALTER TABLE ivr_menu DROP COLUMN action;
