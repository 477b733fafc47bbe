package faulttest_test

import (
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// redisServer is a private redis-server process: own port on 127.0.0.1,
// own directory, nothing persisted, killed when the test ends.
type redisServer struct {
	t    testing.TB
	port int
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

func startRedisServer(t testing.TB) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server not installed: %v", err)
	}
	var err error
	for range 5 {
		s := &redisServer{t: t, port: freePort(t), dir: t.TempDir()}
		if err = s.start(); err == nil {
			t.Cleanup(s.kill)
			return s
		}
	}
	t.Fatalf("cannot start redis-server: %v", err)
	return nil
}

func (s *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

func (s *redisServer) start() error {
	cmd := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(s.port),
		"--dir", s.dir, "--save", "", "--appendonly", "no", "--protected-mode", "no")
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-done:
			s.cmd = nil
			return &net.OpError{Op: "start", Net: "tcp", Err: errExited}
		default:
		}
		if c, err := net.DialTimeout("tcp", s.addr(), time.Second); err == nil {
			_ = c.SetDeadline(time.Now().Add(time.Second))
			_, _ = c.Write([]byte("PING\r\n"))
			buf := make([]byte, 7)
			n, _ := c.Read(buf)
			_ = c.Close()
			if string(buf[:n]) == "+PONG\r\n" {
				return nil
			}
		}
		if time.Now().After(deadline) {
			s.kill()
			return &net.OpError{Op: "start", Net: "tcp", Err: errNoPong}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type startError string

func (e startError) Error() string { return string(e) }

const (
	errExited startError = "redis-server exited"
	errNoPong startError = "redis-server did not answer PING"
)

// kill ends the server with SIGKILL and waits for it; its data is gone.
func (s *redisServer) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// restart starts the server again on the same port, empty.
func (s *redisServer) restart() {
	s.t.Helper()
	var err error
	for range 25 {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Fatalf("cannot restart redis-server on port %d: %v", s.port, err)
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
