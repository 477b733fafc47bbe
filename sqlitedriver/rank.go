package sqlitedriver

import (
	"math"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/ext/fts5"
)

// rankCountCap bounds the count of a phrase's matches that weighs it in
// tier_rank: counting stops there, so a query costs the same whatever the
// number of frames a common word is in. A phrase found in more frames is
// weighed as if found in rankCountCap: it still weighs less than any rarer
// phrase.
const rankCountCap = 5000

// The constants of Okapi BM25, as FTS5's bm25 uses them.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// registerRank adds the FTS5 auxiliary function tier_rank(frames_fts, n0,
// n1, ...) to a connection: the BM25 score of the current row (higher is
// better), where ni is the number of frames holding phrase i, counted up to
// rankCountCap by the caller. FTS5's own bm25 counts every match of every
// phrase on each query, which makes a common word cost in proportion to
// the size of the file; everything tier_rank reads is either given or
// kept by FTS5 in constant time.
func registerRank(api *fts5.API) error {
	return api.CreateFunction("tier_rank", func(fc fts5.Context, ctx sqlite3.Context, arg ...sqlite3.Value) {
		rows, err := fc.RowCount()
		if err != nil {
			ctx.ResultError(err)
			return
		}
		total, err := fc.ColumnTotalSize(0)
		if err != nil {
			ctx.ResultError(err)
			return
		}
		size, err := fc.ColumnSize(0)
		if err != nil {
			ctx.ResultError(err)
			return
		}
		phrases := fc.PhraseCount()
		tf := make([]float64, phrases)
		insts, err := fc.InstCount()
		if err != nil {
			ctx.ResultError(err)
			return
		}
		for i := range insts {
			p, _, _, err := fc.Inst(i)
			if err != nil {
				ctx.ResultError(err)
				return
			}
			if p >= 0 && p < phrases {
				tf[p]++
			}
		}
		avg := 1.0
		if rows > 0 && total > 0 {
			avg = float64(total) / float64(rows)
		}
		norm := bm25K1 * (1 - bm25B + bm25B*float64(size)/avg)
		score := 0.0
		for p, f := range tf {
			if f == 0 {
				continue
			}
			n := float64(rows)
			if p < len(arg) {
				n = min(float64(arg[p].Int64()), float64(rows))
			}
			idf := math.Log((float64(rows) - n + 0.5) / (n + 0.5))
			if idf <= 0 {
				idf = 1e-6
			}
			score += idf * f * (bm25K1 + 1) / (f + norm)
		}
		ctx.ResultFloat(score)
	})
}
