//go:build !unix

package benchmarks

// cpuTime is not measured on this platform; the cpu-ns/op metric reads 0.
func cpuTime() int64 { return 0 }
