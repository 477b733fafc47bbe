-- What the tier library needs besides the spec's columns: the version that
-- makes writes conditional, the CRC-32C checksum of the document, the parent
-- frame, the LFU sort key, and the exact bytes of small documents (JSONB does
-- not keep key order or whitespace). A document is stored in exactly one of
-- frame_data_raw (as is) and frame_data_compressed (brotli).
ALTER TABLE frames_archive
    ADD COLUMN IF NOT EXISTS version        BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS checksum       BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS parent_id      UUID,
    ADD COLUMN IF NOT EXISTS lfu_key        DOUBLE PRECISION NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS frame_data_raw BYTEA;

-- Candidate selection, one index per eviction policy (AGE uses
-- idx_frames_archive_created).
CREATE INDEX IF NOT EXISTS idx_frames_archive_lru ON frames_archive (last_accessed NULLS FIRST, frame_id);
CREATE INDEX IF NOT EXISTS idx_frames_archive_lfu ON frames_archive (lfu_key, frame_id);
