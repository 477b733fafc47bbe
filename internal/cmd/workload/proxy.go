package main

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// proxy is a TCP proxy on the loopback interface in front of a service,
// through which the workload reaches Redis and PostgreSQL, so that the
// fault schedule can take them away:
//
//   - down: every open connection is cut and new ones are closed as soon
//     as they are accepted (a crashed server, a refused port);
//   - stall: connections stay open but nothing passes in either direction,
//     and new ones are accepted but never answered (a hung server, a
//     partitioned network): clients learn only from their timeouts.
//
// Back up, stalled connections are closed and new ones pass again.
type proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	mode  proxyMode
	conns map[*proxyConn]struct{}
	wg    sync.WaitGroup
}

type proxyMode int

const (
	modeUp proxyMode = iota
	modeDown
	modeStall
)

// proxyConn is one client connection and, when up, its upstream.
type proxyConn struct {
	client, upstream net.Conn
	stalled          bool // guarded by proxy.mu
}

// startProxy listens on an ephemeral loopback port and forwards to target.
func startProxy(target string) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{ln: ln, target: target, conns: map[*proxyConn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// addr is the proxy's host:port.
func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // listener closed
		}
		p.mu.Lock()
		mode := p.mode
		pc := &proxyConn{client: c}
		switch mode {
		case modeDown:
			p.mu.Unlock()
			c.Close()
			continue
		case modeStall:
			pc.stalled = true
			p.conns[pc] = struct{}{}
			p.mu.Unlock()
			p.wg.Add(1)
			go p.pump(pc, c, nil) // reads and drops what the client sends
			continue
		}
		p.conns[pc] = struct{}{}
		p.mu.Unlock()
		up, err := net.DialTimeout("tcp", p.target, 2*time.Second)
		if err != nil {
			p.drop(pc)
			continue
		}
		p.mu.Lock()
		pc.upstream = up
		_, alive := p.conns[pc]
		p.mu.Unlock()
		if !alive { // cut while dialing
			up.Close()
			continue
		}
		p.wg.Add(2)
		go p.pump(pc, c, up)
		go p.pump(pc, up, c)
	}
}

// pump copies from src to dst until either side closes. While the
// connection is stalled, what it reads is dropped.
func (p *proxy) pump(pc *proxyConn, src, dst net.Conn) {
	defer p.wg.Done()
	defer p.drop(pc)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			stalled := pc.stalled
			p.mu.Unlock()
			if !stalled && dst != nil {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				_ = err // reset by a peer: just close both sides
			}
			return
		}
	}
}

// drop closes both sides of pc and forgets it.
func (p *proxy) drop(pc *proxyConn) {
	p.mu.Lock()
	delete(p.conns, pc)
	up := pc.upstream
	p.mu.Unlock()
	pc.client.Close()
	if up != nil {
		up.Close()
	}
}

// set changes the proxy's mode; see [proxy].
func (p *proxy) set(mode proxyMode) {
	p.mu.Lock()
	p.mode = mode
	var cut []*proxyConn
	for pc := range p.conns {
		switch {
		case mode == modeDown, mode == modeUp && pc.stalled:
			cut = append(cut, pc)
		case mode == modeStall:
			pc.stalled = true
		}
	}
	p.mu.Unlock()
	for _, pc := range cut {
		p.drop(pc)
	}
}

// close stops the proxy and closes every connection.
func (p *proxy) close() {
	p.ln.Close()
	p.set(modeDown)
	p.wg.Wait()
}
