-- The IVR menu as data (telephony.Menu), which an admin changes without a
-- release: what each key does, in the order the console lists them, and
-- the queue of a caller who chooses nothing. Key 9 repeats the menu and is
-- never a choice. The queues are routing's, whose rows are never deleted;
-- prompt names are checked against the prompts library before a save.
CREATE TABLE ivr_menu (
    key      text PRIMARY KEY CHECK (key ~ '^[0-8*#]$'),
    position smallint NOT NULL UNIQUE CHECK (position >= 0),
    label    text NOT NULL DEFAULT '' CHECK (length(label) <= 40),
    prompt   text CHECK (prompt ~ '^[a-z0-9_]{1,40}$'),
    queue    text NOT NULL REFERENCES routing_queues (name)
);

-- One row.
CREATE TABLE ivr_settings (
    id             integer PRIMARY KEY CHECK (id = 1),
    fallback_queue text NOT NULL REFERENCES routing_queues (name),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- telephony.DefaultMenu: the menu the hotline had before it was data.
INSERT INTO ivr_menu (key, position, label, prompt, queue) VALUES
    ('1', 0, '咨询', NULL, 'consultation'),
    ('2', 1, '投诉举报', NULL, 'complaint'),
    ('3', 2, '建议', NULL, 'suggestion'),
    ('4', 3, '进度查询', 'hold', 'general'),
    ('0', 4, '人工服务', NULL, 'general');
INSERT INTO ivr_settings (id, fallback_queue) VALUES (1, 'general');

---- create above / drop below ----

DROP TABLE ivr_settings;
DROP TABLE ivr_menu;
