-- Listing the children of a frame (Query with a ParentID) reads this index
-- instead of the whole archive.
CREATE INDEX IF NOT EXISTS idx_frames_archive_parent ON frames_archive (parent_id);
