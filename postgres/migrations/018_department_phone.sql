-- A department's phone number (its duty office), which agents bring into
-- a call as the third party of a three-way call through the trunk.
ALTER TABLE departments ADD COLUMN phone text NOT NULL DEFAULT '' CHECK (phone ~ '^([0-9]{3,20})?$');

---- create above / drop below ----

ALTER TABLE departments DROP COLUMN phone;
