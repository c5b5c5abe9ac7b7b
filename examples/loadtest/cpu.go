package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of the CPU times in /proc/PID/stat (USER_HZ,
// 100 on Linux).
const clockTick = 10 * time.Millisecond

// cpuMeter measures the CPU time the server and this program spend in a
// phase, so that a phase's cost per request can be read even when other
// processes share the machine.
type cpuMeter struct {
	pid        int // the server's; 0 when it is not ours
	server     time.Duration
	self       time.Duration
	wall       time.Time
	serverRead bool
}

// startCPU reads the CPU times at the start of a phase.
func startCPU(pid int) *cpuMeter {
	m := &cpuMeter{pid: pid, wall: time.Now(), self: selfCPU()}
	m.server, m.serverRead = processCPU(pid)
	return m
}

// report says how much CPU the server and this program used since
// start, per successful request.
func (m *cpuMeter) report(ok int) string {
	wall := time.Since(m.wall)
	self := selfCPU() - m.self
	s := fmt.Sprintf("cpu over %.1fs: loadtest %.2f cores", wall.Seconds(),
		self.Seconds()/wall.Seconds())
	srv, read := processCPU(m.pid)
	if !read || !m.serverRead {
		return s
	}
	used := srv - m.server
	s += fmt.Sprintf(", server %.2f cores", used.Seconds()/wall.Seconds())
	if ok > 0 {
		per := used / time.Duration(ok)
		s += fmt.Sprintf(", server %s CPU per ok request (%.0f/s if it had 2 cores alone)",
			per.Round(time.Microsecond), 2/per.Seconds())
	}
	return s
}

// selfCPU is the user and system time of this process.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU is the user and system time of process pid, from
// /proc/PID/stat; false when it cannot be read.
func processCPU(pid int) (time.Duration, bool) {
	if pid <= 0 {
		return 0, false
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	return parseStatCPU(string(data))
}

// parseStatCPU reads utime and stime, fields 14 and 15 of a
// /proc/PID/stat line. The command name, field 2, is in parentheses and
// may hold spaces, so fields are counted after its closing parenthesis.
func parseStatCPU(stat string) (time.Duration, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 { // state is field 3, stime field 15
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+s) * clockTick, true
}
