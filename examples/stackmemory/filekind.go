package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
)

// Magic numbers of files people may hand to put or import by mistake.
var (
	sqliteHeader = []byte("SQLite format 3\x00")
	gzipHeader   = []byte{0x1f, 0x8b}
	zstdHeader   = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// notLinesError explains why head, the first bytes of what put or import
// was given as JSON lines (name is the file or "stdin"), is something else,
// or returns nil.
func notLinesError(name string, head []byte) error {
	switch {
	case bytes.HasPrefix(head, sqliteHeader):
		return usageErrorf("%s is a SQLite database, not JSON lines; use storage import <file> for a StackMemory context.db", name)
	case bytes.HasPrefix(head, gzipHeader):
		return usageErrorf("%s is gzip-compressed; decompress it first, like: gunzip -c file.jsonl.gz | stackmemory storage put", name)
	case bytes.HasPrefix(head, zstdHeader):
		return usageErrorf("%s is zstd-compressed; decompress it first, like: zstd -dc file.jsonl.zst | stackmemory storage put", name)
	}
	return nil
}

// checkLines refuses a stream that is not JSON lines. It reads nothing
// away: the bytes peeked stay in r.
func checkLines(name string, r *bufio.Reader) error {
	head, _ := r.Peek(len(sqliteHeader))
	return notLinesError(name, head)
}

// fileHead returns the first bytes of the file at path.
func fileHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, len(sqliteHeader))
	n, err := io.ReadFull(f, b)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return b[:n], nil
}
