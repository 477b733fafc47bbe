package contextdb_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stackmemoryai/tier/contextdb"
	"github.com/stackmemoryai/tier/driver"
)

func TestDocumentOverTheLimitIsRefused(t *testing.T) {
	s := openStore(t, newContextDB(t))
	data := []byte(`{"name":"` + strings.Repeat("x", contextdb.MaxFrameSize) + `"}`)
	rec := driver.Record{Meta: driver.Meta{ID: "6f1c0d2e-4b8a-4e6f-9d3c-2a1b0c9d8e7f", Version: 1,
		Checksum: driver.Checksum(data), Size: int64(len(data))}, Data: data}
	if err := s.Put(context.Background(), rec); !errors.Is(err, driver.ErrInvalidRecord) {
		t.Fatalf("Put of a %d-byte document = %v, want ErrInvalidRecord", len(data), err)
	}
	if s.MaxFrameSize() != contextdb.MaxFrameSize {
		t.Fatalf("MaxFrameSize() = %d", s.MaxFrameSize())
	}
}
