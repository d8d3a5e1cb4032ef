"""Schema step: each attendee of a group record acknowledges it in their own name (issue 16).

Until this step a group record took one response (the session's ``supervisee_*`` columns),
made in one attendee's name. From here, every attendee's acknowledgement (or disagreement, with
their comments, and their declaration of a copy received) is a row of
``attendee_responses``: one per attendee, after sign-off, never changed or deleted. A group
record's existing single response stays where it is (the record's fingerprint and the
response's evidence are unchanged) and is copied here as the acknowledgement of the attendee it
names; the Python part of this step (app.storage.group_acks.begin_attendee_responses) records
the copies' baseline evidence.
"""

ATTENDEE_RESPONSES = """
CREATE TABLE attendee_responses (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    worker_id TEXT NOT NULL REFERENCES workers(id),
    response TEXT NOT NULL CHECK (response IN ('acknowledged', 'disagreed')),
    name TEXT NOT NULL CHECK (trim(name) <> ''),
    comment TEXT NOT NULL DEFAULT '',
    responded_at TEXT NOT NULL,
    copy_received INTEGER CHECK (copy_received IS NULL OR copy_received IN (0, 1)),
    copy_given_on TEXT,
    UNIQUE (session_id, worker_id)
) STRICT;
CREATE INDEX attendee_responses_worker ON attendee_responses(worker_id);
CREATE TRIGGER attendee_responses_after_sign_off BEFORE INSERT ON attendee_responses
WHEN (SELECT signed_at FROM sessions WHERE id = NEW.session_id) IS NULL
    OR NOT EXISTS (SELECT 1 FROM session_attendees
                   WHERE session_id = NEW.session_id AND worker_id = NEW.worker_id)
BEGIN
    SELECT RAISE(ABORT, 'an attendee responds once, in their own name, after sign-off');
END;
CREATE TRIGGER attendee_responses_never_updated BEFORE UPDATE ON attendee_responses
BEGIN
    SELECT RAISE(ABORT, 'an attendee''s response cannot be changed');
END;
CREATE TRIGGER attendee_responses_never_deleted BEFORE DELETE ON attendee_responses
BEGIN
    SELECT RAISE(ABORT, 'an attendee''s response cannot be deleted');
END;
-- A group record's single response becomes the acknowledgement of the attendee it names.
INSERT INTO attendee_responses (id, session_id, worker_id, response, name, comment,
                                responded_at, copy_received, copy_given_on)
SELECT lower(hex(randomblob(16))), s.id, min(w.id), s.supervisee_response, min(w.name),
       s.supervisee_comment, s.supervisee_responded_at, s.supervisee_copy_received,
       s.copy_given_on
FROM sessions s
JOIN supervision_types ty ON ty.key = s.type AND ty.kind = 'group'
JOIN session_attendees a ON a.session_id = s.id
JOIN workers w ON w.id = a.worker_id
    AND lower(trim(w.name)) = lower(trim(s.supervisee_name))
WHERE s.supervisee_response IS NOT NULL AND s.signed_at IS NOT NULL
    AND s.supervisee_responded_at IS NOT NULL
GROUP BY s.id;
"""
