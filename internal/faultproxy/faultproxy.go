// Package faultproxy is a TCP proxy for tests that injects network faults
// on command: it forwards connections from a loopback port to a target
// server, and can cut every connection and refuse new ones ([Proxy.Down]),
// stall traffic while keeping connections open ([Proxy.Stall]), reset
// connections with a TCP RST ([Proxy.Reset]), and go back to forwarding
// ([Proxy.Resume]).
//
// A client is pointed at [Proxy.Addr] instead of the server; the server
// never knows. Every method is safe for concurrent use.
package faultproxy

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// dialTimeout bounds the proxy's own connection to the target.
const dialTimeout = 5 * time.Second

// Proxy forwards TCP connections to a target address, with faults injected
// on command.
type Proxy struct {
	addr   string // "127.0.0.1:port", kept across Down and Resume
	target string

	mu     sync.Mutex
	ln     net.Listener  // nil while down
	gate   chan struct{} // closed while traffic flows; open while stalled
	pairs  map[*pair]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Start listens on a free port of 127.0.0.1 and forwards every connection
// it accepts to target. The caller must Close the proxy.
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	gate := make(chan struct{})
	close(gate)
	p := &Proxy{addr: ln.Addr().String(), target: target, ln: ln, gate: gate, pairs: map[*pair]struct{}{}}
	p.wg.Add(1)
	go p.accept(ln)
	return p, nil
}

// Addr returns the address clients connect to, "127.0.0.1:port". It stays
// the same across Down and Resume.
func (p *Proxy) Addr() string { return p.addr }

// Target returns the address the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// Down cuts every connection (a normal close) and stops listening, so new
// connections are refused as if the server were gone, until Resume.
func (p *Proxy) Down() {
	p.mu.Lock()
	ln := p.ln
	p.ln = nil
	pairs := p.takePairs()
	p.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	for _, c := range pairs {
		c.close(false)
	}
}

// Stall stops forwarding: connections stay open and new ones are
// accepted, but no byte goes through in either direction until Resume, like
// a server that hangs or a network that drops packets.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.gate:
		p.gate = make(chan struct{})
	default: // already stalled
	}
}

// Reset aborts every open connection with a TCP RST on both sides (the
// client sees "connection reset by peer"). New connections are accepted as
// before.
func (p *Proxy) Reset() {
	p.mu.Lock()
	pairs := p.takePairs()
	p.mu.Unlock()
	for _, c := range pairs {
		c.close(true)
	}
}

// Resume ends Down and Stall: the proxy listens again on the same address
// and forwards traffic, including what stalled connections sent meanwhile.
func (p *Proxy) Resume() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("faultproxy: closed")
	}
	select {
	case <-p.gate:
	default:
		close(p.gate)
	}
	if p.ln != nil {
		return nil
	}
	var ln net.Listener
	var err error
	for range 50 { // the port may linger briefly after the close
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("faultproxy: listen again on %s: %w", p.addr, err)
	}
	p.ln = ln
	p.wg.Add(1)
	go p.accept(ln)
	return nil
}

// Conns returns the number of client connections open through the proxy.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pairs)
}

// Close stops the proxy, closes every connection and waits for the
// proxy's goroutines. A second Close does nothing.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	ln := p.ln
	p.ln = nil
	pairs := p.takePairs()
	select {
	case <-p.gate:
	default:
		close(p.gate)
	}
	p.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	for _, c := range pairs {
		c.close(false)
	}
	p.wg.Wait()
	return nil
}

// takePairs empties the set of connections and returns them; p.mu held.
func (p *Proxy) takePairs() []*pair {
	out := make([]*pair, 0, len(p.pairs))
	for c := range p.pairs {
		out = append(out, c)
	}
	clear(p.pairs)
	return out
}

func (p *Proxy) accept(ln net.Listener) {
	defer p.wg.Done()
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		c := &pair{client: conn, done: make(chan struct{})}
		p.mu.Lock()
		if p.closed || p.ln != ln {
			p.mu.Unlock()
			_ = conn.Close()
			continue
		}
		p.pairs[c] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(c)
	}
}

// serve connects c to the target once traffic flows, then copies both
// ways until either side ends or a fault closes the pair.
func (p *Proxy) serve(c *pair) {
	defer p.wg.Done()
	defer p.forget(c)
	if !p.waitFlowing(c) {
		c.close(false)
		return
	}
	server, err := net.DialTimeout("tcp", p.target, dialTimeout)
	if err != nil {
		c.close(false)
		return
	}
	if !c.attach(server) {
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(c, server, c.client) }()
	go func() { defer wg.Done(); p.pipe(c, c.client, server) }()
	wg.Wait()
}

func (p *Proxy) forget(c *pair) {
	p.mu.Lock()
	delete(p.pairs, c)
	p.mu.Unlock()
}

// waitFlowing blocks while the proxy is stalled. It returns false when the
// pair was closed meanwhile.
func (p *Proxy) waitFlowing(c *pair) bool {
	for {
		p.mu.Lock()
		gate := p.gate
		p.mu.Unlock()
		select {
		case <-c.done:
			return false
		case <-gate:
			// A Stall may have begun between the two reads of the gate.
			p.mu.Lock()
			same := gate == p.gate
			p.mu.Unlock()
			if same {
				return true
			}
		}
	}
}

// pipe copies src to dst, holding each chunk while the proxy is stalled.
// When either side ends, the whole pair is closed.
func (p *Proxy) pipe(c *pair, dst, src net.Conn) {
	defer c.close(false)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.waitFlowing(c) {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// pair is one client connection and the proxy's connection to the target.
type pair struct {
	client net.Conn
	done   chan struct{} // closed by close

	mu     sync.Mutex
	server net.Conn // nil until connected
	closed bool
}

// attach sets the server side; it reports false (and closes server) when
// the pair was closed meanwhile.
func (c *pair) attach(server net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		_ = server.Close()
		return false
	}
	c.server = server
	return true
}

// close closes both connections; with rst, with a TCP RST instead of the
// orderly FIN. It is safe to call more than once.
func (c *pair) close(rst bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	close(c.done)
	for _, conn := range []net.Conn{c.client, c.server} {
		if conn == nil {
			continue
		}
		if tcp, ok := conn.(*net.TCPConn); ok && rst {
			_ = tcp.SetLinger(0)
		}
		_ = conn.Close()
	}
}
