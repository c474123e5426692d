-- Issue 13: sign-in sessions are bound in the audit log (`session.opened` / `session.closed` entries carry
-- the session row's digest; `log verify` names a session no entry opened). Sessions opened before this
-- version have no entry: they are ended here, and their users sign in again. Kept in step with
-- migrations/sqlite/0010_sessions_bound.sql.
DELETE FROM sessions;
