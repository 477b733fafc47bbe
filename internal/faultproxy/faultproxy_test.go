package faultproxy_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/stackmemoryai/tier/internal/faultproxy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echoServer answers every line it reads with the same line.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func start(t *testing.T) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

type client struct {
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, p *faultproxy.Proxy) *client {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second)
	if err != nil {
		t.Fatalf("dial proxy: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &client{Conn: c, r: bufio.NewReader(c)}
}

// roundTrip sends a line and returns the answer, or the error.
func (c *client) roundTrip(line string, wait time.Duration) (string, error) {
	_ = c.SetDeadline(time.Now().Add(wait))
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		return "", err
	}
	got, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return got[:len(got)-1], nil
}

func mustEcho(t *testing.T, c *client, line string) {
	t.Helper()
	got, err := c.roundTrip(line, 5*time.Second)
	if err != nil || got != line {
		t.Fatalf("echo of %q = %q, %v", line, got, err)
	}
}

func TestForwards(t *testing.T) {
	p := start(t)
	c := dial(t, p)
	for _, line := range []string{"hello", "world", string(make([]byte, 100<<10))} {
		mustEcho(t, c, line)
	}
	if n := p.Conns(); n != 1 {
		t.Errorf("Conns() = %d, want 1", n)
	}
}

func TestDownCutsAndRefusesUntilResume(t *testing.T) {
	p := start(t)
	c := dial(t, p)
	mustEcho(t, c, "before")

	p.Down()
	if _, err := c.roundTrip("during", 5*time.Second); err == nil {
		t.Fatal("a connection open before Down still answers")
	}
	_, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial while down = %v, want connection refused", err)
	}

	if err := p.Resume(); err != nil {
		t.Fatal(err)
	}
	mustEcho(t, dial(t, p), "after")
}

func TestStallHoldsTrafficUntilResume(t *testing.T) {
	p := start(t)
	c := dial(t, p)
	mustEcho(t, c, "before")

	p.Stall()
	_, err := c.roundTrip("held", 200*time.Millisecond)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("round trip while stalled = %v, want a timeout", err)
	}
	// New connections are accepted while stalled, but get no answer.
	late := dial(t, p)
	if _, err := late.roundTrip("late", 200*time.Millisecond); err == nil {
		t.Fatal("a connection made while stalled got an answer")
	}

	if err := p.Resume(); err != nil {
		t.Fatal(err)
	}
	// What was sent while stalled arrives after Resume.
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if got, err := c.r.ReadString('\n'); err != nil || got != "held\n" {
		t.Fatalf("held line after Resume = %q, %v", got, err)
	}
	mustEcho(t, c, "after")
	_ = late.SetDeadline(time.Now().Add(5 * time.Second))
	if got, err := late.r.ReadString('\n'); err != nil || got != "late\n" {
		t.Fatalf("late line after Resume = %q, %v", got, err)
	}
}

func TestResetSendsRST(t *testing.T) {
	p := start(t)
	c := dial(t, p)
	mustEcho(t, c, "before")

	p.Reset()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	_, err := c.r.ReadString('\n')
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read after Reset = %v, want connection reset", err)
	}
	// The proxy stays up: new connections work.
	mustEcho(t, dial(t, p), "after")
}

func TestCloseEndsEverything(t *testing.T) {
	p, err := faultproxy.Start(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, p)
	mustEcho(t, c, "x")
	p.Stall()
	_, _ = c.Write([]byte("stuck\n"))
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if err := p.Resume(); err == nil {
		t.Fatal("Resume after Close succeeded")
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Fatal("dial after Close succeeded")
	}
}
