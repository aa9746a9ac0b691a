package backend_cuda

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// ptxasVerbose has ptxas report in NVRTC's log what each kernel of a CUBIN uses.
const ptxasVerbose = "--ptxas-options=-v"

// ptxasReport is what ptxas said of the functions of one CUBIN.
type ptxasReport struct {
	kernels int // entry functions compiled
	maxRegs int // the most registers a thread of one function uses
	// Each names its function. spills: registers spilled to local memory; frames: a stack
	// frame (local memory, for spills or for arrays that registers cannot hold); losses:
	// ptxas's warnings, such as warpgroup MMAs it serializes ("Potential Performance Loss").
	spills, frames, losses []string
}

var (
	ptxasEntry     = regexp.MustCompile(`Compiling entry function '([^']+)'`)
	ptxasFunction  = regexp.MustCompile(`Function properties for (\S+)`)
	ptxasFrame     = regexp.MustCompile(`(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads`)
	ptxasRegisters = regexp.MustCompile(`Used (\d+) registers`)
)

// readPtxas reads the log of a compilation with ptxasVerbose. Lines of the C++ front end
// (its own warnings, on generated code that is never reached) are not ptxas's.
func readPtxas(log string) ptxasReport {
	var r ptxasReport
	fn := "?"
	for _, line := range strings.Split(log, "\n") {
		if !strings.HasPrefix(line, "ptxas") {
			continue
		}
		if ptxasEntry.MatchString(line) {
			r.kernels++
		}
		if m := ptxasFunction.FindStringSubmatch(line); m != nil {
			fn = m[1]
		}
		if m := ptxasFrame.FindStringSubmatch(line); m != nil {
			if m[2] != "0" || m[3] != "0" {
				r.spills = append(r.spills, fn+": "+m[0])
			}
			if m[1] != "0" {
				r.frames = append(r.frames, fn+": "+m[0])
			}
		}
		if m := ptxasRegisters.FindStringSubmatch(line); m != nil {
			regs, _ := strconv.Atoi(m[1])
			r.maxRegs = max(r.maxRegs, regs)
		}
		if strings.Contains(line, "Performance Loss") || strings.Contains(strings.ToLower(line), "warning") {
			r.losses = append(r.losses, strings.TrimSpace(line))
		}
	}
	return r
}

// checkGEMM fails the test unless ptxas compiled the one GEMM kernel of a log with no
// spills, no stack frame and no warning: in the inner loop of a GEMM, any of these costs
// much of the speed that its tiles are chosen for.
func checkGEMM(t *testing.T, log, what string) ptxasReport {
	t.Helper()
	r := readPtxas(log)
	if r.kernels != 1 || len(r.spills)+len(r.frames)+len(r.losses) > 0 {
		t.Errorf("%s: ptxas compiled %d entry functions; spills %q, stack frames %q, warnings %q", what, r.kernels, r.spills, r.frames, r.losses)
	}
	return r
}

// TestReadPtxas reads logs in the forms of ptxas 11.8 and 12.4.
func TestReadPtxas(t *testing.T) {
	clean := `ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function 'kernel0' for 'sm_80'
ptxas info    : Function properties for kernel0
ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 224 registers, 376 bytes cmem[0]
ptxas info    : Compiling entry function 'kernel1' for 'sm_80'
ptxas info    : Function properties for kernel1
ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 63 registers, 16388 bytes smem, 392 bytes cmem[0], 8 bytes cmem[2]
`
	r := readPtxas(clean)
	if r.kernels != 2 || r.maxRegs != 224 || len(r.spills)+len(r.frames)+len(r.losses) != 0 {
		t.Errorf("clean log: %+v", r)
	}
	// The slow path of double-precision sine keeps an array in a stack frame, spilling nothing.
	frame := "kernel.cu(40): warning #186-D: pointless comparison of unsigned integer with zero\n" +
		strings.Replace(clean, "0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads\nptxas info    : Used 63",
			"48 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads\nptxas info    : Used 63", 1)
	if r := readPtxas(frame); len(r.spills) != 0 || len(r.frames) != 1 || !strings.HasPrefix(r.frames[0], "kernel1: 48 bytes") || len(r.losses) != 0 {
		t.Errorf("stack frame: %+v", r)
	}
	spills := strings.Replace(clean, "0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads\nptxas info    : Used 224",
		"8 bytes stack frame, 8 bytes spill stores, 4 bytes spill loads\nptxas info    : Used 224", 1)
	if r := readPtxas(spills); len(r.spills) != 1 || !strings.HasPrefix(r.spills[0], "kernel0: 8 bytes") || len(r.frames) != 1 {
		t.Errorf("spills: %+v", r)
	}
	serial := "ptxas info    : (C7514) Potential Performance Loss: wgmma.mma_async instructions are serialized due to non wgmma instructions reading accumulator registers of  a wgmma between start and end of the pipeline stage in the function 'kernel'\n" + clean
	if r := readPtxas(serial); len(r.losses) != 1 || !strings.Contains(r.losses[0], "serialized") {
		t.Errorf("serialized MMAs: %+v", r)
	}
}
