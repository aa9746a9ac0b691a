module github.com/crossbar-compute/crossbar

go 1.26

require (
	github.com/ebitengine/purego v0.11.3
	github.com/go-gl/gl v0.0.0-20231021071112-07e5d0ea2e71
	github.com/klauspost/cpuid/v2 v2.4.2
	github.com/x448/float16 v0.8.4
)

require golang.org/x/sys v0.41.0 // indirect
