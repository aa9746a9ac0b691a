//go:build cgo

package main

// The GL backend needs cgo; a CGO_ENABLED=0 build of the bench goes without it.
import _ "github.com/crossbar-compute/crossbar/backend_gl"

func init() { tuneFamilies["gl"] = kernelTuneProblems }
