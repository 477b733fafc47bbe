package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// The model is what the workload knows it stored: every frame it created,
// its current revision, and whether it deleted it. It is the reference the
// readers and the final audit compare the library's answers with.
//
// Every change is written to a journal file before it is made ("intent")
// and after it succeeded ("done"), one write(2) per line, so that a process
// killed with SIGKILL leaves a journal the next process can replay: it
// redoes the intents that have no "done" line, which makes the outcome of
// an interrupted change certain again.

// entry is one frame of the model.
type entry struct {
	idx     int // creation order, also the document generator's input
	step    int // position in its session (0 = root)
	id      string
	session string
	parent  string
	project string

	// mu is held while the frame is changed, so that changes of one frame
	// reach the library and the journal in the same order.
	mu       sync.Mutex
	rev      atomic.Int32 // current revision
	next     atomic.Int32 // revision being written, while an update runs
	live     atomic.Bool  // stored (its first Put returned)
	deleted  atomic.Bool
	deleting atomic.Bool // a Delete was issued

	// acks are when each write of the frame returned, and on which
	// machine (two-machine mode judges stale reads by them).
	ackMu sync.Mutex
	acks  []ack
}

// session is one agent session: a root frame and its children.
type session struct {
	id      string
	project string
	frames  []int // indexes in the model
}

// model is the workload's reference. It is safe for concurrent use.
type model struct {
	seed uint64

	mu       sync.RWMutex
	frames   []*entry
	sessions []*session
	byID     map[string]*session
	byFrame  map[string]*entry

	jmu     sync.Mutex
	journal *os.File
}

// openModel opens the journal at path, creating it if needed, and replays
// it. It returns the model and the changes that were interrupted, to be
// redone by the caller.
func openModel(path string, seed uint64) (*model, []pending, error) {
	m := &model{seed: seed, byID: map[string]*session{}, byFrame: map[string]*entry{}}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, err
	}
	pend, err := m.replay(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("replay journal: %w", err)
	}
	m.journal = f
	return m, pend, nil
}

// pending is a change whose intent is in the journal but not its outcome.
type pending struct {
	op  byte // 'n' new frame, 'u' update, 'd' delete
	e   *entry
	rev int
}

// replay rebuilds the model from a journal.
func (m *model) replay(r io.Reader) ([]pending, error) {
	open := map[string]pending{} // key: op+idx
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 1<<20)
	var line int
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue // a line cut short by a crash
		}
		idx, err := strconv.Atoi(f[1])
		if err != nil || idx < 0 {
			return nil, fmt.Errorf("line %d: bad frame number", line)
		}
		key := strings.ToLower(f[0]) + f[1]
		switch f[0] {
		case "n": // n idx step id session parent project
			if len(f) != 7 || idx != len(m.frames) {
				if len(f) != 7 {
					continue // cut short; the frame was never acknowledged
				}
				return nil, fmt.Errorf("line %d: frame %d out of order", line, idx)
			}
			step, _ := strconv.Atoi(f[2])
			e := m.add(f[3], f[4], dash(f[5]), f[6], step)
			open[key] = pending{op: 'n', e: e}
		case "N":
			if e := m.at(idx); e != nil {
				e.live.Store(true)
			}
			delete(open, key)
		case "u", "U": // u idx rev
			e := m.at(idx)
			if e == nil || len(f) != 3 {
				continue
			}
			rev, _ := strconv.Atoi(f[2])
			if f[0] == "u" {
				e.next.Store(int32(rev))
				open[key] = pending{op: 'u', e: e, rev: rev}
			} else {
				e.rev.Store(int32(rev))
				delete(open, key)
			}
		case "d", "D":
			e := m.at(idx)
			if e == nil {
				continue
			}
			if f[0] == "d" {
				e.deleting.Store(true)
				open[key] = pending{op: 'd', e: e}
			} else {
				e.deleted.Store(true)
				delete(open, key)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var out []pending
	for _, p := range open {
		out = append(out, p)
	}
	return out, nil
}

func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// add appends a frame to the model (not yet live) and to its session.
func (m *model) add(id, sessionID, parent, project string, step int) *entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.addLocked(id, sessionID, parent, project, step)
}

// create adds a new frame and writes its intent to the journal, both under
// the model's lock so that journal lines come in creation order.
func (m *model) create(id, sessionID, parent, project string, step int) (*entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.addLocked(id, sessionID, parent, project, step)
	err := m.write("n %d %d %s %s %s %s", e.idx, e.step, e.id, e.session, orDash(e.parent), e.project)
	return e, err
}

func (m *model) addLocked(id, sessionID, parent, project string, step int) *entry {
	e := &entry{idx: len(m.frames), step: step, id: id, session: sessionID, parent: parent, project: project}
	m.frames = append(m.frames, e)
	m.byFrame[id] = e
	s := m.byID[sessionID]
	if s == nil {
		s = &session{id: sessionID, project: project}
		m.byID[sessionID] = s
		m.sessions = append(m.sessions, s)
	}
	s.frames = append(s.frames, e.idx)
	return e
}

// at returns frame idx, or nil.
func (m *model) at(idx int) *entry {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if idx < 0 || idx >= len(m.frames) {
		return nil
	}
	return m.frames[idx]
}

// sessionByID returns the session with the given ID, or nil.
func (m *model) sessionByID(id string) *session {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.byID[id]
}

// frame returns the frame with the given ID, or nil.
func (m *model) frame(id string) *entry {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.byFrame[id]
}

// count returns how many frames were created (live or not).
func (m *model) count() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.frames)
}

// sessionAt returns session i counted from the newest (0 = newest), or nil.
func (m *model) sessionAt(fromNewest int) *session {
	m.mu.RLock()
	defer m.mu.RUnlock()
	i := len(m.sessions) - 1 - fromNewest
	if i < 0 || i >= len(m.sessions) {
		return nil
	}
	return m.sessions[i]
}

// sessionCount returns the number of sessions.
func (m *model) sessionCount() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.sessions)
}

// framesOf returns a copy of the frame indexes of s.
func (m *model) framesOf(s *session) []int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return append([]int(nil), s.frames...)
}

// document returns the document of e at revision rev.
func (m *model) document(e *entry, rev int) []byte {
	return document(m.seed, e.idx, e.step, rev)
}

// write appends one line to the journal in a single write call.
func (m *model) write(format string, args ...any) error {
	line := fmt.Sprintf(format+"\n", args...)
	m.jmu.Lock()
	defer m.jmu.Unlock()
	if m.journal == nil {
		return errors.New("journal closed")
	}
	_, err := m.journal.WriteString(line)
	return err
}

func (m *model) doneNew(e *entry) error {
	e.live.Store(true)
	return m.write("N %d", e.idx)
}
func (m *model) intendUpdate(e *entry, rev int) error {
	e.next.Store(int32(rev))
	return m.write("u %d %d", e.idx, rev)
}
func (m *model) doneUpdate(e *entry, rev int) error {
	e.rev.Store(int32(rev))
	return m.write("U %d %d", e.idx, rev)
}
func (m *model) intendDelete(e *entry) error {
	e.deleting.Store(true)
	return m.write("d %d", e.idx)
}
func (m *model) doneDelete(e *entry) error {
	e.deleted.Store(true)
	return m.write("D %d", e.idx)
}

// close closes the journal.
func (m *model) close() error {
	m.jmu.Lock()
	defer m.jmu.Unlock()
	if m.journal == nil {
		return nil
	}
	err := m.journal.Close()
	m.journal = nil
	return err
}
