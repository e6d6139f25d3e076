package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"syscall"
	"time"
)

// profiles names the files the profiles of the loaded phase go to; an
// empty name means that profile is not taken.
type profiles struct {
	cpu, block, mutex, trace string
}

// startProfiles starts the requested profiles and returns the function
// that stops them and writes them out.
func startProfiles(p profiles) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for _, s := range stops {
			s()
		}
	}
	if p.cpu != "" {
		f, err := os.Create(p.cpu)
		if err != nil {
			return stop, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return stop, err
		}
		stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
	}
	if p.trace != "" {
		f, err := os.Create(p.trace)
		if err != nil {
			return stop, err
		}
		if err := trace.Start(f); err != nil {
			return stop, err
		}
		stops = append(stops, func() { trace.Stop(); f.Close() })
	}
	for _, lp := range []struct {
		file, name string
		on, off    func()
	}{
		{p.block, "block", func() { runtime.SetBlockProfileRate(10_000) }, func() { runtime.SetBlockProfileRate(0) }},
		{p.mutex, "mutex", func() { runtime.SetMutexProfileFraction(10) }, func() { runtime.SetMutexProfileFraction(0) }},
	} {
		if lp.file == "" {
			continue
		}
		lp.on()
		stops = append(stops, func() {
			lp.off()
			if f, err := os.Create(lp.file); err == nil {
				_ = pprof.Lookup(lp.name).WriteTo(f, 0)
				f.Close()
			}
		})
	}
	return stop, nil
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage is the machine's 1-minute load average, or "?" where
// /proc/loadavg does not exist.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}
