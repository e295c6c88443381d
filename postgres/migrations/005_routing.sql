-- The routing configuration (package routing): queues and agents' skills.
-- Live state (presence, waiting contacts, statistics) stays in the engine.
-- A queue's config is the JSON of routing.QueueConfig, checked by its
-- Normalize before every save; the checks here only keep the row
-- consistent with its key.
CREATE TABLE routing_queues (
    name       text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_-]{1,32}$'),
    config     jsonb NOT NULL CHECK (jsonb_typeof(config) = 'object' AND config ->> 'name' = name),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- An agent's skills (queue name -> level) and chat capacity (0: the
-- engine's default). No row: the agent has the default profile.
CREATE TABLE routing_agents (
    user_id       bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    skills        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(skills) = 'object'),
    chat_capacity integer NOT NULL DEFAULT 0 CHECK (chat_capacity >= 0),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The queues of the IVR menu and of web chat.
INSERT INTO routing_queues (name, config) VALUES
    ('consultation', '{"name": "consultation", "title": "咨询", "strategy": "longest_idle", "ring_seconds": 15,
        "wrap_up_seconds": 10, "max_wait_seconds": 300, "overflow_after_seconds": 60, "overflow_to": "general"}'),
    ('complaint', '{"name": "complaint", "title": "投诉举报", "strategy": "longest_idle", "ring_seconds": 15,
        "wrap_up_seconds": 20, "max_wait_seconds": 300, "overflow_after_seconds": 90, "overflow_to": "general"}'),
    ('suggestion', '{"name": "suggestion", "title": "建议", "strategy": "round_robin", "ring_seconds": 15,
        "wrap_up_seconds": 10, "max_wait_seconds": 300, "overflow_after_seconds": 0}'),
    ('general', '{"name": "general", "title": "人工服务", "strategy": "longest_idle", "ring_seconds": 15,
        "wrap_up_seconds": 10, "max_wait_seconds": 600, "overflow_after_seconds": 0}'),
    ('webchat', '{"name": "webchat", "title": "网上咨询", "strategy": "longest_idle", "ring_seconds": 20,
        "wrap_up_seconds": 0, "max_wait_seconds": 900, "overflow_after_seconds": 0}');

---- create above / drop below ----

DROP TABLE routing_agents;
DROP TABLE routing_queues;
