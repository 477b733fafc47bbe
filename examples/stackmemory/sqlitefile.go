package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
)

// sqliteHeader starts every SQLite database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// isSQLite reports whether the stream starts like a SQLite database. It
// reads nothing away: the bytes peeked stay in r.
func isSQLite(r *bufio.Reader) bool {
	b, _ := r.Peek(len(sqliteHeader))
	return bytes.Equal(b, sqliteHeader)
}

// isSQLiteFile reports whether the file at path is a SQLite database.
func isSQLiteFile(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	b := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, b); err != nil {
		return false, nil
	}
	return bytes.Equal(b, sqliteHeader), nil
}
