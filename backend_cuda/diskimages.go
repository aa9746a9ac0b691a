package backend_cuda

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/crossbar-compute/crossbar/backend/autotune"
)

// The images NVRTC makes also go to disk, so that the next process that runs the same
// kernels loads them without NVRTC, which takes tens to hundreds of milliseconds a
// kernel: a model's few dozen kernels would take seconds at every start. They lie in
// cuda-images/ under the cache directory (CROSSBAR_CACHE_DIR, or crossbar under the
// user's cache directory, as the tuning cache), one file an image, named by the SHA-256
// of all that makes it: the source, the target, NVRTC's version and the options NVRTC
// gets. A file holds the SHA-256 of its image, then the image; one that does not match
// (cut short, or damaged) is compiled again and replaced. Files are written under a
// temporary name and renamed, so that processes sharing the directory see whole files
// only. Past maxDiskImageBytes in all, the files used longest ago are removed.
// CROSSBAR_CUDA_CACHE=off keeps images in memory only; a directory that cannot be
// written does too, with a warning.

// EnvImageCache is the environment variable that turns the on-disk image cache off.
const EnvImageCache = "CROSSBAR_CUDA_CACHE"

// imageFormat names the key's layout and the files' format: a change to either takes a
// new one.
const imageFormat = "crossbar-cuda-image/v1"

// maxDiskImageBytes bounds the directory; a trim leaves it at most three quarters full.
var maxDiskImageBytes int64 = 1 << 30

var disk struct {
	sync.Mutex
	dir     string // "" when off
	checked bool   // dir is resolved
	written int64  // bytes written since the last trim
}

// diskDir returns the directory of the on-disk images, creating it, or "" when the
// cache is off or the directory cannot be made.
func diskDir() string {
	disk.Lock()
	defer disk.Unlock()
	if disk.checked {
		return disk.dir
	}
	disk.checked = true
	if os.Getenv(EnvImageCache) == "off" {
		return ""
	}
	base, err := autotune.DefaultDir()
	if err == nil {
		dir := filepath.Join(base, "cuda-images")
		if err = os.MkdirAll(dir, 0o755); err == nil {
			disk.dir = dir
			// What earlier processes left past the bound, and their temporary files.
			disk.written = maxDiskImageBytes
			return dir
		}
	}
	slog.Warn("crossbar: CUDA kernel images are kept in memory only", "err", err)
	return ""
}

// diskKey is the name of the file of the image for arch by NVRTC n of the source whose
// SHA-256 is sum (the memory cache's key).
func (n *nvrtcAPI) diskKey(sum [sha256.Size]byte, arch gpuArch) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00nvrtc %d.%d %s\x00%v\x00", imageFormat, n.major, n.minor, strings.Join(nvrtcOptions, " "), arch)
	h.Write(sum[:])
	return hex.EncodeToString(h.Sum(nil))
}

// loadDiskImage returns the image stored under key, or nil. A hit marks the file used.
func loadDiskImage(dir, key string) []byte {
	path := filepath.Join(dir, key)
	b, err := os.ReadFile(path)
	if err != nil || len(b) <= sha256.Size {
		return nil
	}
	sum := sha256.Sum256(b[sha256.Size:])
	if !bytes.Equal(sum[:], b[:sha256.Size]) {
		return nil
	}
	now := time.Now()
	_ = os.Chtimes(path, now, now)
	return b[sha256.Size:]
}

// storeDiskImage writes img under key, and trims the directory when enough has been
// written since the last trim to pass the bound. Failures leave the image in memory
// only.
func storeDiskImage(dir, key string, img []byte) {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return
	}
	sum := sha256.Sum256(img)
	_, err = f.Write(append(sum[:], img...))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, key))
	}
	if err != nil {
		os.Remove(f.Name())
		return
	}
	disk.Lock()
	disk.written += int64(len(img) + sha256.Size)
	trim := disk.written >= maxDiskImageBytes/4
	if trim {
		disk.written = 0
	}
	disk.Unlock()
	if trim {
		trimDiskImages(dir)
	}
}

// trimDiskImages removes the files used longest ago until the directory holds at most
// three quarters of maxDiskImageBytes, and temporary files an hour old (of processes
// that ended while writing).
func trimDiskImages(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type file struct {
		name string
		size int64
		used time.Time
	}
	var files []file
	var total int64
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		if strings.HasPrefix(e.Name(), ".tmp-") {
			if time.Since(info.ModTime()) > time.Hour {
				os.Remove(filepath.Join(dir, e.Name()))
			}
			continue
		}
		files = append(files, file{e.Name(), info.Size(), info.ModTime()})
		total += info.Size()
	}
	if total <= maxDiskImageBytes {
		return
	}
	slices.SortFunc(files, func(a, b file) int { return a.used.Compare(b.used) })
	for _, f := range files {
		if total <= maxDiskImageBytes/4*3 {
			break
		}
		// Another process may have removed it first.
		if err := os.Remove(filepath.Join(dir, f.name)); err == nil || errors.Is(err, fs.ErrNotExist) {
			total -= f.size
		}
	}
}
