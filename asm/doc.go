// Package asm holds the CPU kernels that the cpu device builds on: vector loops that get an
// assembly implementation per architecture (amd64 AVX2/AVX-512, arm64 NEON) with a pure-Go
// twin that is both the fallback (build tag noasm, other architectures) and the test oracle.
//
// Each kernel's doc comment is the reference loop it implements.
package asm
