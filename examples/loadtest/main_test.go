package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFlagsFaults(t *testing.T) {
	o, err := parseFlags([]string{"-fault-cmd", "pg_ctl restart", "-fault-at", "30s",
		"-fault", "10s=echo 503 20s > \"$LOADTEST_WIKI_FAULTS\"", "-fault", "1m=echo a=b"},
		io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []fault{
		{at: 30 * time.Second, cmd: "pg_ctl restart"},
		{at: 10 * time.Second, cmd: "echo 503 20s > \"$LOADTEST_WIKI_FAULTS\""},
		{at: time.Minute, cmd: "echo a=b"},
	}, o.faults)

	o, err = parseFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Empty(t, o.faults, "no fault by default")

	for _, bad := range []string{"echo hi", "soon=echo hi", "10s=", "10s=  ", "-1s=echo"} {
		_, err := parseFlags([]string{"-fault", bad}, io.Discard)
		assert.Error(t, err, "%q", bad)
	}
}

func TestWikiFaultsFile(t *testing.T) {
	o := &options{dataDir: "/tmp/d"}
	assert.Equal(t, "/tmp/d/wiki-faults", o.wikiFaults())
	o.target = "http://127.0.0.1:8080"
	assert.Empty(t, o.wikiFaults(), "not ours to configure with -target")
}
