-- Deletes remembered for machines sharing the archive (Store.Bury): a copy
-- of a buried frame at a version up to up_to is never archived again, so a
-- machine that still holds one (not yet replicated, or it missed the
-- change notification) cannot bring the frame back. Compact removes
-- tombstones older than Options.TombstoneDays.
CREATE TABLE IF NOT EXISTS frame_tombstones (
    frame_id   UUID PRIMARY KEY,
    up_to      BIGINT NOT NULL,
    deleted_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_frame_tombstones_deleted_at ON frame_tombstones (deleted_at);
