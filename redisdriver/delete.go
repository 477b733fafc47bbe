package redisdriver

import (
	"context"
	"strconv"
)

// Delete removes the frame if the stored Version is at most upTo (pass
// driver.AnyVersion for any); a newer copy is kept. Deleting a missing
// frame returns nil and drops any index entry left for it.
func (s *Store) Delete(ctx context.Context, id string, upTo uint64) error {
	if err := s.check(); err != nil {
		return err
	}
	if err := checkID(id); err != nil {
		return err
	}
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	fk, mk := s.keys.frame(id), s.keys.meta(id)
	v := strconv.FormatUint(upTo, 10)
	if !s.cluster {
		res := scriptDelete.run(ctx, s.client, call{keys: append([]string{fk, mk}, s.keys.index()...), args: []string{v, id}})
		if err := res[0].Error(); err != nil {
			return s.fail("delete", id, err)
		}
		return nil
	}
	res := scriptFrameDelete.run(ctx, s.client, call{keys: []string{fk, mk}, args: []string{v}})
	deleted, err := res[0].AsInt64()
	if err != nil {
		return s.fail("delete", id, err)
	}
	if deleted == 1 {
		return s.removeFromIndex(ctx, "", id)
	}
	return nil
}
