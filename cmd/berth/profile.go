package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
)

// profile starts the CPU profile BERTH_CPUPROFILE names, if any, and
// returns what writes it and the heap profile BERTH_MEMPROFILE names when
// the command ends: for measuring berth against big fleets (README,
// "Performance"). A profile that cannot be written is said on w, never a
// failure of the command.
func profile(getenv func(string) string, w io.Writer) (stop func()) {
	cpu, mem := getenv("BERTH_CPUPROFILE"), getenv("BERTH_MEMPROFILE")
	var f *os.File
	if cpu != "" {
		var err error
		if f, err = os.Create(cpu); err != nil {
			fmt.Fprintf(w, "berth: cpu profile: %v\n", err)
		} else if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(w, "berth: cpu profile: %v\n", err)
			f.Close()
			f = nil
		}
	}
	return func() {
		if f != nil {
			pprof.StopCPUProfile()
			f.Close()
		}
		if mem == "" {
			return
		}
		m, err := os.Create(mem)
		if err == nil {
			runtime.GC()
			err = pprof.Lookup("allocs").WriteTo(m, 0)
			m.Close()
		}
		if err != nil {
			fmt.Fprintf(w, "berth: memory profile: %v\n", err)
		}
	}
}
