package autotune

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// A test binary started with envChildDir set is a child process of
// TestCacheConcurrentProcesses: it appends childEntries entries to the cache of that
// directory and exits.
const (
	envChildDir  = "AUTOTUNE_TEST_CHILD_DIR"
	envChildID   = "AUTOTUNE_TEST_CHILD_ID"
	childEntries = 40
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envChildDir); dir != "" {
		os.Exit(childAppend(dir, os.Getenv(envChildID)))
	}
	os.Exit(m.Run())
}

func childAppend(dir, id string) int {
	c := OpenCache(dir)
	for i := range childEntries {
		if err := c.Store(entryFor(fmt.Sprintf("proc%s/%d", id, i), i)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

func entryFor(kernel string, i int) Entry {
	// A long kernel signature brings the line near the size where a torn write would show.
	return Entry{
		Key:    Key{Kernel: kernel + "/" + strings.Repeat("x", 1500), Shape: []int{i, 2 * i}, DType: "f32", Device: Fingerprint{Model: "m"}},
		Config: Config{"BlockM": 64 + i, "BlockN": 32},
		Median: time.Duration(1000 + i), P20: 900, P80: time.Duration(1100 + i), Prior: 2000, Tried: i,
	}
}

func encodeLine(t *testing.T, e Entry, version int) string {
	t.Helper()
	b, err := json.Marshal(line{V: version, Key: e.Key, Config: e.Config, MedianNS: int64(e.Median), Stored: time.Unix(0, 0).UTC()})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCacheCorruptFile(t *testing.T) {
	dir := t.TempDir()
	ka, kb, kc := testKey("a"), testKey("b"), testKey("c")
	good := func(k Key, bm int) string {
		return encodeLine(t, Entry{Key: k, Config: Config{"BlockM": bm}, Median: 5}, FormatVersion)
	}
	whole := good(kb, 64)
	lines := []string{
		good(ka, 16),
		"garbage, not JSON at all",
		"",
		whole[:len(whole)/2], // a line cut in half
		encodeLine(t, Entry{Key: kc, Config: Config{"BlockM": 1}}, FormatVersion+1), // foreign version
		whole,
		`{"no_version": 1}`,
		`{"v": "1", "key": {"kernel": "a"}}`,
		encodeLine(t, Entry{Key: Key{}, Config: Config{"BlockM": 1}}, FormatVersion), // no kernel
		`{"v":1,"key":{"kernel":"k"},"config":{"bad name":1}}`,
		`{"v":1,"key":{"kernel":"k"},"config":{"a":1},"median_ns":-5}`,
		good(ka, 128), // later lines win
	}
	text := strings.Join(lines, "\n") + "\n" + good(kc, 8)[:20] // truncated last line
	path := filepath.Join(dir, CacheFile)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c := OpenCache(dir)
	if err := c.Err(); err != nil {
		t.Fatalf("Err = %v on a readable cache", err)
	}
	want := CacheStats{Entries: 2, Corrupt: 7, Foreign: 1}
	if s := c.Stats(); s != want {
		t.Errorf("Stats = %+v, want %+v", s, want)
	}
	if e, ok := c.Lookup(ka); !ok || e.Config["BlockM"] != 128 {
		t.Errorf("Lookup(a) = %+v, %v; want the later line, BlockM 128", e, ok)
	}
	if e, ok := c.Lookup(kb); !ok || e.Config["BlockM"] != 64 {
		t.Errorf("Lookup(b) = %+v, %v", e, ok)
	}
	if _, ok := c.Lookup(kc); ok {
		t.Errorf("Lookup(c) found the foreign or truncated line")
	}

	// An append after the truncated line closes it off as a corrupt line of its own.
	if err := c.Store(Entry{Key: kc, Config: Config{"BlockM": 32}, Median: 7}); err != nil {
		t.Fatal(err)
	}
	again := OpenCache(dir)
	want = CacheStats{Entries: 3, Corrupt: 8, Foreign: 1}
	if s := again.Stats(); s != want {
		t.Errorf("after an append: Stats = %+v, want %+v", s, want)
	}
	if e, ok := again.Lookup(kc); !ok || e.Config["BlockM"] != 32 || e.Median != 7 {
		t.Errorf("Lookup(c) after an append = %+v, %v", e, ok)
	}
}

func TestCacheSeesOtherWriters(t *testing.T) {
	dir := t.TempDir()
	a, b := OpenCache(dir), OpenCache(dir)
	if err := a.Store(entryFor("shared", 1)); err != nil {
		t.Fatal(err)
	}
	if e, ok := b.Lookup(entryFor("shared", 1).Key); !ok || e.Config["BlockM"] != 65 {
		t.Fatalf("second cache did not see the first's append: %+v, %v", e, ok)
	}
	e := entryFor("shared", 1)
	e.Config["BlockM"] = 7
	if err := b.Store(e); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Lookup(e.Key); got.Config["BlockM"] != 7 {
		t.Errorf("first cache kept %v after the second's later line", got.Config)
	}
}

func TestCacheStoreBadEntry(t *testing.T) {
	c := OpenCache(t.TempDir())
	for _, e := range []Entry{
		{Config: Config{"a": 1}},
		{Key: testKey("k")},
		{Key: testKey("k"), Config: Config{"a": 1}, Median: -1},
	} {
		if err := c.Store(e); err == nil || !strings.HasPrefix(err.Error(), "autotune: cache store") {
			t.Errorf("Store(%+v) = %v, want an error naming the operation", e, err)
		}
	}
	huge := Entry{Key: Key{Kernel: strings.Repeat("k", maxLine)}, Config: Config{"a": 1}}
	if err := c.Store(huge); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("Store of a %d-byte key = %v, want an error", maxLine, err)
	}
	if _, ok := c.Lookup(huge.Key); !ok {
		t.Errorf("an entry too long for the file is not kept in memory")
	}
	if c.Err() != nil {
		t.Errorf("one long entry made the whole cache memory-only: %v", c.Err())
	}
}

// unwritableDir returns a cache directory that this process cannot write: a directory
// made read-only, or, where permissions do not bind (running as root), a path below a
// regular file, which no one can create.
func unwritableDir(t *testing.T) string {
	base := t.TempDir()
	dir := filepath.Join(base, "ro")
	if err := os.Mkdir(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	probe := filepath.Join(dir, "probe")
	if err := os.WriteFile(probe, nil, 0o644); err != nil {
		t.Logf("cache dir %s is read-only", dir)
		return dir
	}
	os.Remove(probe)
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("chmod does not bind here; cache dir below the regular file %s", file)
	return filepath.Join(file, "crossbar")
}

func TestCacheUnwritableDir(t *testing.T) {
	c := OpenCache(unwritableDir(t))
	f := &fakeKernel{opt: tileOpt}
	tu := &Tuner{Mode: ModeOn, Cache: c}
	sp := tileSpace()

	first, err := tu.Tune(context.Background(), testKey("ro"), sp, f.measure)
	if err != nil || first.Source != SourceSearch {
		t.Fatalf("first tuning: %+v, %v; want a search and no error", first, err)
	}
	if first.CacheErr == nil || c.Err() == nil {
		t.Fatalf("CacheErr %v, Err %v; want the cache's failure surfaced", first.CacheErr, c.Err())
	}
	// The result lives on in memory; the failure is not reported again.
	again, err := tu.Tune(context.Background(), testKey("ro"), sp, f.measure)
	if err != nil || again.Source != SourceCache || !again.Best.Equal(first.Best) || again.CacheErr != nil {
		t.Errorf("second tuning: %+v, %v; want the remembered result and no new CacheErr", again, err)
	}
	other, err := tu.Tune(context.Background(), testKey("ro2"), sp, f.measure)
	if err != nil || other.Source != SourceSearch || other.CacheErr != nil {
		t.Errorf("another key: %+v, %v; want a search and no new CacheErr", other, err)
	}
	if got := c.Stats().Entries; got != 2 {
		t.Errorf("%d entries in memory, want 2", got)
	}
	if c.Err() == nil {
		t.Errorf("Err cleared after reporting")
	}
}

// checkFile reads the cache file line by line and returns its entries' kernels; every
// line must decode whole.
func checkFile(t *testing.T, dir string) map[string]int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, CacheFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Errorf("the file does not end in a newline")
	}
	kernels := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.V != FormatVersion {
			t.Fatalf("line %d is torn or corrupt (%v): %.120q", n, err, sc.Text())
		}
		kernels[strings.TrimRight(l.Key.Kernel, "x/")]++
	}
	return kernels
}

func TestCacheConcurrentGoroutines(t *testing.T) {
	dir := t.TempDir()
	shared := OpenCache(dir)
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			// Half the workers share one Cache, the others have their own, as separate
			// processes would.
			c := shared
			if w%2 == 1 {
				c = OpenCache(dir)
			}
			for i := range each {
				if err := c.Store(entryFor(fmt.Sprintf("g%d/%d", w, i), i)); err != nil {
					t.Error(err)
				}
				c.Lookup(entryFor(fmt.Sprintf("g%d/%d", (w+1)%workers, i), i).Key)
			}
		})
	}
	wg.Wait()
	kernels := checkFile(t, dir)
	if len(kernels) != workers*each {
		t.Errorf("%d distinct entries in the file, want %d", len(kernels), workers*each)
	}
	if s := OpenCache(dir).Stats(); s != (CacheStats{Entries: workers * each}) {
		t.Errorf("reloaded Stats = %+v, want %d entries and nothing skipped", s, workers*each)
	}
}

func TestCacheConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	if os.Getenv("CROSSBAR_TEST_EMULATED") != "" {
		// qemu-user deadlocks in the fork of a child of a multithreaded program; the native
		// run of this test covers the cache.
		t.Skip("child processes under user-mode emulation")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	const procs = 4
	var wg sync.WaitGroup
	for p := range procs {
		wg.Go(func() {
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), envChildDir+"="+dir, envChildID+"="+strconv.Itoa(p))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("child %d: %v\n%s", p, err, out)
			}
		})
	}
	// This process appends at the same time.
	wg.Go(func() {
		if code := childAppend(dir, "parent"); code != 0 {
			t.Errorf("parent's appends failed")
		}
	})
	wg.Wait()
	kernels := checkFile(t, dir)
	if len(kernels) != (procs+1)*childEntries {
		t.Errorf("%d distinct entries in the file, want %d", len(kernels), (procs+1)*childEntries)
	}
	c := OpenCache(dir)
	if s := c.Stats(); s != (CacheStats{Entries: (procs + 1) * childEntries}) {
		t.Errorf("Stats = %+v, want %d entries and nothing skipped", s, (procs+1)*childEntries)
	}
	for p := range procs {
		e, ok := c.Lookup(entryFor(fmt.Sprintf("proc%d/%d", p, childEntries-1), childEntries-1).Key)
		if !ok || e.Config["BlockM"] != 64+childEntries-1 {
			t.Errorf("child %d's last entry: %+v, %v", p, e, ok)
		}
	}
}

func TestCacheDefaultDirFailure(t *testing.T) {
	t.Setenv(EnvCacheDir, "")
	t.Setenv("HOME", "")
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("LocalAppData", "")
	c := OpenCache("")
	if _, err := os.UserCacheDir(); err != nil {
		if c.Err() == nil || c.Path() != "" {
			t.Errorf("no user cache dir: Err %v, Path %q; want a memory-only cache that says why", c.Err(), c.Path())
		}
		if err := c.Store(entryFor("mem", 1)); err == nil {
			t.Errorf("Store on a memory-only cache reported it persisted")
		}
		if _, ok := c.Lookup(entryFor("mem", 1).Key); !ok {
			t.Errorf("memory-only cache lost its entry")
		}
	}
}
