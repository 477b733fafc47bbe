package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// Frame documents are generated, not stored: the document of frame number
// idx at revision rev is a pure function of (seed, idx, rev), so the model
// keeps only the numbers and the audit regenerates the exact bytes to
// compare with what the library returns.

// vocabulary is the words documents are made of, and the words searches
// look for: the kind of text an agent writes about its work.
var vocabulary = strings.Fields(`
refactor parser lexer token websocket reconnect flaky retry timeout deadline
goroutine mutex channel deadlock race detector benchmark allocation profile
migration schema index postgres redis sqlite cache eviction ttl compression
brotli checksum crc version conflict merge rebase branch commit review lint
vet build module dependency upgrade downgrade vendor docker container compose
kubernetes deploy rollback canary metric histogram latency percentile alert
oauth token refresh session cookie cors header middleware router handler
json yaml toml config flag environment secret vault certificate tls handshake
unicode utf8 normalize escape encode decode stream buffer reader writer
pagination cursor offset limit filter sort rank search fulltext tsvector
frontend react component hook state render props typescript eslint prettier
panic recover stacktrace segfault leak heap stack pointer slice map struct`)

// eventKinds are the kinds of events a frame records.
var eventKinds = []string{"tool_call", "tool_result", "file_edit", "test_run", "thought", "error", "user_message"}

// doc is a frame document. Field order is fixed by the struct, so the same
// values always encode to the same bytes.
type doc struct {
	Kind    string  `json:"kind"`
	Task    string  `json:"task"`
	Step    int     `json:"step"`
	Rev     int     `json:"rev"`
	Inputs  inputs  `json:"inputs"`
	Outputs outputs `json:"outputs"`
	Events  []event `json:"events"`
	Digest  string  `json:"digest"`
}

type inputs struct {
	Files   []string `json:"files"`
	Command string   `json:"command"`
	Prompt  string   `json:"prompt"`
}

type outputs struct {
	ExitCode int    `json:"exit_code"`
	Stdout   string `json:"stdout"`
	Summary  string `json:"summary"`
}

type event struct {
	At   string `json:"at"`
	Kind string `json:"kind"`
	Msg  string `json:"msg"`
}

// epoch is the simulated start of the agent's history; documents carry
// times after it so that their bytes do not depend on the wall clock.
var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// document returns the JSON document of frame idx (the step-th frame of its
// session) at revision rev. Sizes spread from about 0.5 KB to 8 KB, most
// frames small, as tool calls and their results are.
func document(seed uint64, idx, step, rev int) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(idx)<<20|uint64(rev)))
	words := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(vocabulary[r.IntN(len(vocabulary))])
		}
		return b.String()
	}
	// Target size: log-uniform between 512 B and 8 KB.
	target := int(512 * math.Exp2(4*r.Float64()))
	d := doc{
		Kind:   "step",
		Task:   fmt.Sprintf("ticket-%d: %s", idx/40, words(6)),
		Step:   step,
		Rev:    rev,
		Inputs: inputs{Command: "go test ./" + vocabulary[r.IntN(len(vocabulary))] + "/...", Prompt: words(12)},
		Outputs: outputs{
			ExitCode: r.IntN(3) / 2,
			Summary:  words(10),
		},
	}
	if step == 0 {
		d.Kind = "root"
	}
	for range 1 + r.IntN(4) {
		d.Inputs.Files = append(d.Inputs.Files, fmt.Sprintf("internal/%s/%s.go", vocabulary[r.IntN(len(vocabulary))], vocabulary[r.IntN(len(vocabulary))]))
	}
	at := epoch.Add(time.Duration(idx) * 7 * time.Second)
	size := 400 // the fixed part, roughly
	for size < target {
		e := event{
			At:   at.Add(time.Duration(len(d.Events)) * time.Second).Format(time.RFC3339),
			Kind: eventKinds[r.IntN(len(eventKinds))],
			Msg:  words(4 + r.IntN(16)),
		}
		d.Events = append(d.Events, e)
		size += len(e.Msg) + 60
	}
	d.Outputs.Stdout = words(r.IntN(20))
	d.Digest = fmt.Sprintf("%s (rev %d)", words(8), rev)
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // a fixed struct of strings and ints always encodes
	}
	return b
}

// searchText returns a full-text query of one or two vocabulary words.
func searchText(r *rand.Rand) string {
	if r.IntN(2) == 0 {
		return vocabulary[r.IntN(len(vocabulary))]
	}
	return vocabulary[r.IntN(len(vocabulary))] + " " + vocabulary[r.IntN(len(vocabulary))]
}
