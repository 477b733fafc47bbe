-- Change notification for machines sharing the archive: after every
-- statement that inserts, deletes, or changes the version or checksum of
-- frames, NOTIFY the frame IDs (comma-separated, at most 200 per
-- notification, within PostgreSQL's 8000-byte payload) on a channel named
-- after the table's schema, so several archives in one database do not hear
-- each other. Access statistics (Touch) notify nothing.
CREATE OR REPLACE FUNCTION tier_notify_frames() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    channel text := 'tier_frames_' || substr(md5(TG_TABLE_SCHEMA), 1, 16);
    ids text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        FOR ids IN SELECT string_agg(frame_id::text, ',') FROM
            (SELECT frame_id, (row_number() OVER () - 1) / 200 AS chunk FROM tier_new_rows) x GROUP BY chunk
        LOOP
            PERFORM pg_notify(channel, ids);
        END LOOP;
    ELSIF TG_OP = 'UPDATE' THEN
        FOR ids IN SELECT string_agg(frame_id::text, ',') FROM
            (SELECT n.frame_id, (row_number() OVER () - 1) / 200 AS chunk
             FROM tier_new_rows n JOIN tier_old_rows o USING (frame_id)
             WHERE n.version IS DISTINCT FROM o.version OR n.checksum IS DISTINCT FROM o.checksum) x GROUP BY chunk
        LOOP
            PERFORM pg_notify(channel, ids);
        END LOOP;
    ELSE
        FOR ids IN SELECT string_agg(frame_id::text, ',') FROM
            (SELECT frame_id, (row_number() OVER () - 1) / 200 AS chunk FROM tier_old_rows) x GROUP BY chunk
        LOOP
            PERFORM pg_notify(channel, ids);
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER tier_frames_inserted AFTER INSERT ON frames_archive
    REFERENCING NEW TABLE AS tier_new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tier_notify_frames();
CREATE TRIGGER tier_frames_updated AFTER UPDATE ON frames_archive
    REFERENCING OLD TABLE AS tier_old_rows NEW TABLE AS tier_new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tier_notify_frames();
CREATE TRIGGER tier_frames_deleted AFTER DELETE ON frames_archive
    REFERENCING OLD TABLE AS tier_old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tier_notify_frames();
