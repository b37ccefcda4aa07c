-- The trace an event was written in (W3C traceparent), so that publishing
-- it, later and from another task, continues that trace.
ALTER TABLE outbox ADD COLUMN trace_context TEXT;
