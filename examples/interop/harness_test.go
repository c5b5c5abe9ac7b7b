package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// envEnable turns the suite on.
const envEnable = "SECURESHARE_INTEROP"

// logTail is how much of each log a failed test prints.
const logTail = 6000

// requireInterop skips t unless the suite is enabled.
func requireInterop(t *testing.T) {
	t.Helper()
	if os.Getenv(envEnable) != "1" {
		t.Skipf("set %s=1 to run the interoperability suite (installs and starts real IdPs)",
			envEnable)
	}
	if testing.Short() {
		t.Skip("the interoperability suite does not run with -short")
	}
}

// logDir is the test's directory for logs. Its files are printed when the
// test fails.
func logDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if root := os.Getenv("SECURESHARE_INTEROP_LOGS"); root != "" {
		dir = filepath.Join(root, regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(
			t.Name(), "_"))
		require.NoError(t, os.RemoveAll(dir))
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	t.Cleanup(func() {
		if t.Failed() {
			printLogs(t, dir)
		}
	})
	t.Logf("logs in %s", dir)
	return dir
}

// printLogs prints the end of every log file in dir; the pages seen stay
// in dir.
func printLogs(t *testing.T, dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || len(b) == 0 {
			continue
		}
		if len(b) > logTail {
			b = append([]byte("..."), b[len(b)-logTail:]...)
		}
		t.Logf("==== %s ====\n%s", f, b)
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// process is a command started in its own process group, with its output
// in a log file.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	once sync.Once
}

// startProcess starts cmd in a new process group with stdout and stderr
// appended to logFile, and stops the group when the test ends.
func startProcess(t *testing.T, name, logFile string, cmd *exec.Cmd) *process {
	t.Helper()
	out, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	fmt.Fprintf(out, "==== %s: %s\n", time.Now().Format(time.RFC3339), strings.Join(cmd.Args, " "))
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start(), "starting %s", name)
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	t.Cleanup(p.stop)
	return p
}

// stop ends the process group: SIGTERM, then SIGKILL after five seconds.
// It may be called more than once.
func (p *process) stop() {
	p.once.Do(func() {
		pgid := p.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
		// Children that outlived the leader (PHP's workers) go too.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	})
}

// exited reports whether the process has ended, and how.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// waitHTTP waits until url answers 2xx, or fails the test when p ends or
// timeout passes.
func waitHTTP(t *testing.T, p *process, url string, timeout time.Duration) {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if done, err := p.exited(); done {
			t.Fatalf("%s ended while starting (%v); see its log", p.name, err)
		}
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s not ready after %v at %s: %v", p.name, timeout, url, last)
}

// run runs a command to completion with its output appended to logFile,
// and returns an error with the output's end when it fails.
func run(ctx context.Context, logFile string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	if f, ferr := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); ferr == nil {
		fmt.Fprintf(f, "==== %s %s\n%s", name, strings.Join(args, " "), buf.Bytes())
		f.Close()
	}
	if err != nil {
		out := buf.String()
		if len(out) > 2000 {
			out = out[len(out)-2000:]
		}
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// errNotRoot says why packages cannot be installed.
var errNotRoot = errors.New("installing IdP packages needs root; run the suite as root " +
	"or install the packages first")
