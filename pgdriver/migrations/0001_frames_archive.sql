-- The archive table and its four indexes, exactly as the StackMemory storage
-- spec gives them. External tools read this table.
CREATE TABLE IF NOT EXISTS frames_archive (
    frame_id              UUID PRIMARY KEY,
    session_id            UUID,
    project_id            TEXT,
    frame_data            JSONB,
    frame_data_compressed BYTEA,
    created_at            TIMESTAMPTZ,
    archived_at           TIMESTAMPTZ DEFAULT now(),
    last_accessed         TIMESTAMPTZ,
    access_count          INTEGER,
    size_bytes            INTEGER,
    search_vector         TSVECTOR
);

CREATE INDEX IF NOT EXISTS idx_frames_archive_project ON frames_archive (project_id);
CREATE INDEX IF NOT EXISTS idx_frames_archive_session ON frames_archive (session_id);
CREATE INDEX IF NOT EXISTS idx_frames_archive_search  ON frames_archive USING GIN (search_vector);
CREATE INDEX IF NOT EXISTS idx_frames_archive_created ON frames_archive (created_at);
