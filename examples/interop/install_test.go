package interop

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// installMu serialises package installs: apt and npm take locks of their own,
// but a clear error beats a lock timeout.
var installMu sync.Mutex

// aptInstall installs the Debian packages that are not installed yet,
// without recommends, and fails the test when that does not work. It runs
// apt-get update once more when the first attempt fails (stale lists).
func aptInstall(t *testing.T, logFile string, pkgs ...string) {
	t.Helper()
	installMu.Lock()
	defer installMu.Unlock()
	var missing []string
	for _, p := range pkgs {
		out, err := exec.Command("dpkg-query", "-W", "-f=${Status}", p).Output()
		if err != nil || !strings.Contains(string(out), "install ok installed") {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return
	}
	if os.Geteuid() != 0 {
		t.Fatalf("missing Debian packages %v: %v", missing, errNotRoot)
	}

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	env := []string{"DEBIAN_FRONTEND=noninteractive"}
	args := append([]string{"install", "-y", "-q", "--no-install-recommends"}, missing...)
	err := run(ctx, logFile, env, "apt-get", args...)
	if err != nil {
		require.NoError(t, run(ctx, logFile, env, "apt-get", "update", "-q"), "apt-get update")
		err = run(ctx, logFile, env, "apt-get", args...)
	}
	require.NoError(t, err, "installing %v", missing)
	t.Logf("installed %v in %v", missing, time.Since(start).Round(time.Second))
}

// npmInstall installs an npm project, described by packageJSON, into a
// directory of the install cache named name, unless the same package.json
// is installed there already. It returns the directory.
func npmInstall(t *testing.T, logFile, name, packageJSON string) string {
	t.Helper()
	installMu.Lock()
	defer installMu.Unlock()
	root := os.Getenv("SECURESHARE_INTEROP_CACHE")
	if root == "" {
		c, err := os.UserCacheDir()
		require.NoError(t, err)
		root = filepath.Join(c, "secureshare-interop")
	}
	dir := filepath.Join(root, name)
	stamp := filepath.Join(dir, "node_modules", ".secureshare-package.json")
	if b, err := os.ReadFile(stamp); err == nil && string(b) == packageJSON {
		return dir
	}

	if _, err := exec.LookPath("npm"); err != nil {
		aptInstall(t, logFile, "nodejs", "npm")
	}
	start := time.Now()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package.json"), []byte(packageJSON), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	require.NoError(t, run(ctx, logFile, nil, "npm", "install", "--prefix", dir, "--no-audit",
		"--no-fund", "--loglevel=error"), "npm install in %s", dir)
	require.NoError(t, os.WriteFile(stamp, []byte(packageJSON), 0o644))
	t.Logf("npm installed %s in %v", name, time.Since(start).Round(time.Second))
	return dir
}
