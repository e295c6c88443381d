-- A ticket made from a voicemail carries its recording, an 8 kHz mono WAV.
ALTER TABLE attachments DROP CONSTRAINT attachments_content_type_check,
    ADD CONSTRAINT attachments_content_type_check CHECK (content_type IN
        ('image/jpeg', 'image/png', 'image/webp', 'image/gif', 'application/pdf', 'text/plain; charset=utf-8', 'audio/wav'));

---- create above / drop below ----

DELETE FROM attachments WHERE content_type = 'audio/wav';
ALTER TABLE attachments DROP CONSTRAINT attachments_content_type_check,
    ADD CONSTRAINT attachments_content_type_check CHECK (content_type IN
        ('image/jpeg', 'image/png', 'image/webp', 'image/gif', 'application/pdf', 'text/plain; charset=utf-8'));
