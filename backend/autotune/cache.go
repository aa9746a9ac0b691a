package autotune

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FormatVersion is the version of the cache's line format and of the meaning of its
// entries. Lines of another version are skipped: a change of the protocol or of what a key
// covers makes old measurements unsafe to reuse, so bumping it retires them all.
const FormatVersion = 1

// EnvCacheDir is the environment variable naming the cache directory.
const EnvCacheDir = "CROSSBAR_CACHE_DIR"

// CacheFile is the name of the cache file inside the cache directory.
const CacheFile = "autotune.jsonl"

// maxLine bounds an encoded entry, which must be shorter: an append of at most this many
// bytes (a line and perhaps a repairing newline, see appendLine) lands in one piece
// even where no file lock is available, because a single write to a file opened with
// O_APPEND is placed atomically at its end by the local file systems of every platform we
// run on.
const maxLine = 4096

// A Fingerprint identifies what a measurement is valid for besides the kernel: the device
// model and every version that changes the code that runs (driver, runtime compiler).
type Fingerprint struct {
	Model    string `json:"model"`
	Driver   string `json:"driver,omitempty"`
	Compiler string `json:"compiler,omitempty"`
}

// A Key says which tuning problem an entry answers.
type Key struct {
	// Kernel is the kernel's signature: its family, the structural hash of the kernel and the
	// version of the family's space, so that a changed search space never reuses old entries.
	Kernel string      `json:"kernel"`
	Shape  []int       `json:"shape"` // usually a shape bucket (see Bucket)
	DType  string      `json:"dtype"`
	Device Fingerprint `json:"device"`
}

func (k Key) String() string {
	var b strings.Builder
	b.WriteString(k.Kernel)
	b.WriteByte('[')
	for i, d := range k.Shape {
		if i > 0 {
			b.WriteByte('x')
		}
		b.WriteString(strconv.Itoa(d))
	}
	b.WriteByte(']')
	if k.DType != "" {
		b.WriteByte(' ')
		b.WriteString(k.DType)
	}
	if k.Device.Model != "" {
		fmt.Fprintf(&b, " on %q", k.Device.Model)
	}
	return b.String()
}

// id is the key's canonical form, its JSON encoding with a nil shape written as empty.
func (k Key) id() string {
	if k.Shape == nil {
		k.Shape = []int{}
	}
	b, err := json.Marshal(k)
	if err != nil { // strings and ints always encode
		return k.String()
	}
	return string(b)
}

// An Entry is the tuned configuration of one key.
type Entry struct {
	Key      Key
	Config   Config
	Median   time.Duration // of Config
	P20, P80 time.Duration
	Prior    time.Duration // median of the prior in the same search; 0 if it failed
	Tried    int           // candidates the search measured
	Partial  bool          // the search was cut short by its context
	Stored   time.Time
}

// line is an Entry's encoding in the file.
type line struct {
	V        int       `json:"v"`
	Key      Key       `json:"key"`
	Config   Config    `json:"config"`
	MedianNS int64     `json:"median_ns"`
	P20NS    int64     `json:"p20_ns"`
	P80NS    int64     `json:"p80_ns"`
	PriorNS  int64     `json:"prior_ns"`
	Tried    int       `json:"tried"`
	Partial  bool      `json:"partial,omitempty"`
	Stored   time.Time `json:"stored"`
}

func (e *Entry) check() error {
	if e.Key.Kernel == "" {
		return fmt.Errorf("entry has no kernel signature")
	}
	if len(e.Config) == 0 {
		return fmt.Errorf("entry %s has no configuration", e.Key)
	}
	for n := range e.Config {
		if err := checkKnobName(n); err != nil {
			return fmt.Errorf("entry %s: %w", e.Key, err)
		}
	}
	if e.Median < 0 || e.P20 < 0 || e.P80 < 0 || e.Prior < 0 {
		return fmt.Errorf("entry %s has a negative time", e.Key)
	}
	return nil
}

// CacheStats count what loading the file found.
type CacheStats struct {
	Entries int // distinct keys held
	Corrupt int // lines that are not a valid entry (garbage, truncated)
	Foreign int // valid lines of another FormatVersion
}

// A Cache holds tuned configurations in memory and appends each new one to a JSON-lines
// file shared by every process that uses the same directory. It reads lines other processes
// appended whenever it is looked up, and the last line of a key wins.
//
// A Cache never fails its caller: when the directory cannot be created, read or written, it
// goes on in memory only and reports why, once, through the next Result's CacheErr (and
// always through Err). A Cache is safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	path    string // "" for a cache that was never backed by a file
	entries map[string]Entry
	offset  int64 // bytes of the file consumed: up to the end of its last complete line
	stats   CacheStats
	noWrite bool  // appends failed once; keep to memory from then on
	err     error // why the cache is not fully persistent
	pending error // an error not yet reported by takeError
}

// DefaultDir returns CROSSBAR_CACHE_DIR, or "crossbar" under os.UserCacheDir.
func DefaultDir() (string, error) {
	if d := os.Getenv(EnvCacheDir); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("autotune: cache directory: %w (set %s)", err, EnvCacheDir)
	}
	return filepath.Join(d, "crossbar"), nil
}

// NewMemoryCache returns a cache that keeps its entries in memory only.
func NewMemoryCache() *Cache {
	return &Cache{entries: map[string]Entry{}}
}

// OpenCache returns the cache of directory dir ("" means DefaultDir), creating the
// directory if needed and loading the file's entries. It cannot fail: a directory that is
// missing and cannot be created gives a memory-only cache whose Err says why.
func OpenCache(dir string) *Cache {
	c := NewMemoryCache()
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			c.fail(err)
			return c
		}
		dir = d
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		c.fail(fmt.Errorf("autotune: open cache: %w", err))
		return c
	}
	c.path = filepath.Join(dir, CacheFile)
	c.mu.Lock()
	c.reload()
	c.mu.Unlock()
	return c
}

// Path returns the cache file's path, or "" for a memory-only cache.
func (c *Cache) Path() string { return c.path }

// Err returns why the cache keeps entries in memory only, or nil while it is persistent.
func (c *Cache) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Stats returns the counts of the lines read so far.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Entries = len(c.entries)
	return s
}

// Lookup returns the entry of k, after reading what other processes appended since the
// last look.
func (c *Cache) Lookup(k Key) (Entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reload()
	e, ok := c.entries[k.id()]
	if ok {
		e.Config = e.Config.Clone()
	}
	return e, ok
}

// Store records e (Stored is set to now when zero) and appends it to the file. It returns
// an error when e is malformed, or when it is held in memory only.
func (c *Cache) Store(e Entry) error {
	if err := e.check(); err != nil {
		return fmt.Errorf("autotune: cache store: %w", err)
	}
	if e.Stored.IsZero() {
		e.Stored = time.Now().UTC()
	}
	e.Config = e.Config.Clone()
	data, err := json.Marshal(line{
		V: FormatVersion, Key: e.Key, Config: e.Config,
		MedianNS: int64(e.Median), P20NS: int64(e.P20), P80NS: int64(e.P80), PriorNS: int64(e.Prior),
		Tried: e.Tried, Partial: e.Partial, Stored: e.Stored,
	})
	if err != nil {
		return fmt.Errorf("autotune: cache store %s: %w", e.Key, err)
	}
	data = append(data, '\n')

	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[e.Key.id()] = e
	if c.path == "" || c.noWrite {
		return c.err
	}
	if len(data) >= maxLine {
		err := fmt.Errorf("autotune: cache store %s: entry of %d bytes exceeds %d; kept in memory only", e.Key, len(data), maxLine-1)
		c.pending = err
		return err
	}
	if err := appendLine(c.path, data); err != nil {
		c.noWrite = true
		c.fail(fmt.Errorf("autotune: cache store: %w", err))
		return c.err
	}
	return nil
}

// fail records a persistence error (mu held, or c not yet shared); the first one sticks.
func (c *Cache) fail(err error) {
	if c.err != nil {
		return
	}
	c.err = fmt.Errorf("%w; tuning results are kept in memory only", err)
	c.pending = c.err
}

// takeError returns an error that was not reported yet, once.
func (c *Cache) takeError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.pending
	c.pending = nil
	return err
}

// reload reads the complete lines appended since the last read (mu held). A last line
// without its newline is left for later: it may be an append in progress.
func (c *Cache) reload() {
	if c.path == "" {
		return
	}
	f, err := os.Open(c.path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			c.fail(fmt.Errorf("autotune: cache read: %w", err))
		}
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		c.fail(fmt.Errorf("autotune: cache read: %w", err))
		return
	}
	size := fi.Size()
	if size < c.offset { // replaced or truncated: read it anew
		c.offset = 0
	}
	if size == c.offset {
		return
	}
	buf := make([]byte, size-c.offset)
	n, err := f.ReadAt(buf, c.offset)
	if err != nil && !errors.Is(err, io.EOF) {
		c.fail(fmt.Errorf("autotune: cache read: %w", err))
		return
	}
	buf = buf[:n]
	end := bytes.LastIndexByte(buf, '\n')
	if end < 0 {
		return
	}
	for _, ln := range bytes.Split(buf[:end], []byte{'\n'}) {
		c.apply(ln)
	}
	c.offset += int64(end + 1)
}

// apply decodes one line into the entries, counting the lines it cannot use.
func (c *Cache) apply(ln []byte) {
	ln = bytes.TrimSpace(ln)
	if len(ln) == 0 {
		return
	}
	var head struct {
		V *int `json:"v"`
	}
	if json.Unmarshal(ln, &head) != nil || head.V == nil {
		c.stats.Corrupt++
		return
	}
	if *head.V != FormatVersion {
		c.stats.Foreign++
		return
	}
	var l line
	if json.Unmarshal(ln, &l) != nil {
		c.stats.Corrupt++
		return
	}
	e := Entry{
		Key: l.Key, Config: l.Config,
		Median: time.Duration(l.MedianNS), P20: time.Duration(l.P20NS), P80: time.Duration(l.P80NS),
		Prior: time.Duration(l.PriorNS), Tried: l.Tried, Partial: l.Partial, Stored: l.Stored,
	}
	if e.check() != nil {
		c.stats.Corrupt++
		return
	}
	c.entries[e.Key.id()] = e
}

// appendLine appends data, one line, to the file at path in a single write, under an
// exclusive lock where the platform has one. If the file does not end in a newline (a
// writer died mid-line, or someone edited it) the write starts with one, so that the
// fragment is one corrupt line and not the ruin of this one.
func appendLine(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	// Without the lock the append is still one write of at most maxLine bytes; only the
	// newline repair below could race, which costs at most one line.
	unlock, lerr := lockFile(f)
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		var last [1]byte
		if _, err := f.ReadAt(last[:], fi.Size()-1); err == nil && last[0] != '\n' {
			data = append([]byte{'\n'}, data...)
		}
	}
	_, err = f.Write(data)
	// Unlock before closing: once closed, the descriptor's number may belong to another file.
	if lerr == nil {
		unlock()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
