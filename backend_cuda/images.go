package backend_cuda

import (
	"crypto/sha256"
	"fmt"
	"sync"
)

// The images NVRTC has made in this process, by source and target, so that a kernel whose
// source was compiled before (by another kernel structure with the same code, by another
// device of the same architecture, or ahead of time by precompile) is not compiled again.
// Images are small (tens of KiB); the cache stops growing at maxImageBytes.

const maxImageBytes = 256 << 20

type imageKey struct {
	sum  [sha256.Size]byte
	arch gpuArch
}

var images struct {
	sync.Mutex
	m     map[imageKey][]byte
	bytes int
}

// compileCached is n.compile through the process's image cache, and the images on disk
// (diskimages.go).
func (n *nvrtcAPI) compileCached(src, name string, arch gpuArch) ([]byte, error) {
	key := imageKey{sha256.Sum256([]byte(src)), arch}
	images.Lock()
	img, ok := images.m[key]
	images.Unlock()
	if ok {
		return img, nil
	}
	dir := diskDir()
	var file string
	if dir != "" {
		file = n.diskKey(key.sum, arch)
		img = loadDiskImage(dir, file)
	}
	if img == nil {
		var err error
		if img, err = n.compile(src, name, arch); err != nil {
			return nil, err
		}
		if dir != "" {
			storeDiskImage(dir, file, img)
		}
	}
	images.Lock()
	if images.m == nil {
		images.m = map[imageKey][]byte{}
	}
	if _, ok := images.m[key]; !ok && images.bytes+len(img) <= maxImageBytes {
		images.m[key] = img
		images.bytes += len(img)
	}
	images.Unlock()
	return img, nil
}

// precompile compiles the kernels of sources (CUDA C++ as Source renders it, with the
// entry point names of names) for d's architecture on workers goroutines, into the
// process's image cache, so that Compile finds them: NVRTC takes tens of milliseconds a
// kernel, and the executor compiles one kernel at a time. It returns the first error.
func (d *Device) precompile(sources, names []string, workers int) error {
	if len(names) != len(sources) {
		return fmt.Errorf("cuda: precompile %d sources with %d names", len(sources), len(names))
	}
	arch, err := d.gpuArch()
	if err != nil {
		return err
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if _, err := d.nv.compileCached(sources[i], names[i], arch); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range sources {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}
