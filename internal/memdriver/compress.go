package memdriver

import (
	"github.com/stackmemoryai/tier/driver"
	"github.com/stackmemoryai/tier/internal/codec"
)

// Compression of the reference driver: brotli at CompressionLevel, for
// documents of CompressMinSize bytes or more, like the real drivers.
const (
	CompressionLevel = 5
	CompressMinSize  = 128
)

var _ driver.Compressor = (*Tier)(nil)

// Compress implements driver.Compressor, so that tests see the manager
// hand every lower tier the same compressed bytes.
func (t *Tier) Compress(data []byte) []byte {
	if len(data) < CompressMinSize {
		return nil
	}
	return codec.Compress(data, CompressionLevel)
}
