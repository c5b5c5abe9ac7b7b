package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// child is a reference server this program started.
type child struct {
	cmd     *exec.Cmd
	baseURL string
	stderr  string // the file its logs go to
	done    chan error
}

// buildServer builds ./examples/secureshare from the module at dir into
// a temporary directory and returns the binary's path.
func buildServer(ctx context.Context, moduleDir, outDir string) (string, error) {
	bin := filepath.Join(outDir, "secureshare")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./examples/secureshare")
	cmd.Dir = moduleDir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the server: %w", err)
	}
	return bin, nil
}

// startServer runs bin serve on a free loopback port with its data in
// dataDir and the store DSN (empty: the default SQLite store), with the
// demo Confluence failing as the file wikiFaults says (empty: never),
// logging to dataDir/server.log, and waits until it prints its banner.
func startServer(bin, dataDir, dsn, wikiFaults string) (*child, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	args := []string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir}
	if dsn != "" {
		args = append(args, "--store", dsn)
	}
	if wikiFaults != "" {
		args = append(args, "--demo-wiki-faults-file", wikiFaults)
	}
	logPath := filepath.Join(dataDir, "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = cleanEnv(os.Environ())
	cmd.Stderr = logFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, stderr: logPath, done: make(chan error, 1)}

	base := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Secure Share is serving at "); ok {
				base <- strings.TrimSpace(u)
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() {
		c.done <- cmd.Wait()
		logFile.Close()
	}()
	select {
	case c.baseURL = <-base:
		return c, nil
	case err := <-c.done:
		return nil, fmt.Errorf("the server exited at start-up (%v); see %s", err, logPath)
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		return nil, errors.New("the server printed no banner in 60s")
	}
}

// stop asks the server to shut down and waits for it.
func (c *child) stop() error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		return err
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		return errors.New("the server did not stop within 30s of SIGTERM; killed")
	}
}

// exited reports whether the server has exited, and how.
func (c *child) exited() (bool, error) {
	select {
	case err := <-c.done:
		c.done <- err
		return true, err
	default:
		return false, nil
	}
}

// panics counts the lines of the server's log that mention a panic or a
// fatal runtime error.
func (c *child) panics() (int, error) {
	data, err := os.ReadFile(c.stderr)
	if err != nil {
		return 0, err
	}
	return countPanics(string(data)), nil
}

// countPanics counts the lines of a log that mention a panic or a fatal
// runtime error.
func countPanics(log string) int {
	n := 0
	for line := range strings.Lines(log) {
		if strings.Contains(line, "panic") || strings.Contains(line, "fatal error:") {
			n++
		}
	}
	return n
}

// cleanEnv drops SECURESHARE_* variables but SECURESHARE_TEST_*, so the
// server sees only the flags this program gives.
func cleanEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if strings.HasPrefix(kv, "SECURESHARE_") && !strings.HasPrefix(kv, "SECURESHARE_TEST_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}
