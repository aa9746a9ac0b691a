package backend_tpu

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// A pluginPath is one place a PJRT plugin was looked for.
type pluginPath struct {
	path   string
	name   string // the plugin's short name: "tpu" for libtpu, "cuda" for xla_cuda_plugin.so, ...
	source string // how it was found: the env var, "python3 site-packages", "lib dir"
	note   string // set: not a plugin to load, for this reason
}

// pluginName derives a plugin's short name from its file name.
func pluginName(path string) string {
	base := filepath.Base(path)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	switch {
	case strings.HasPrefix(base, "libtpu"):
		return "tpu"
	case strings.HasPrefix(base, "xla_") && strings.HasSuffix(base, "_plugin"):
		// jax_plugins/xla_cuda12/xla_cuda_plugin.so -> cuda
		return strings.TrimSuffix(strings.TrimPrefix(base, "xla_"), "_plugin")
	case strings.HasPrefix(base, "pjrt_c_api_") && strings.HasSuffix(base, "_plugin"):
		return strings.TrimSuffix(strings.TrimPrefix(base, "pjrt_c_api_"), "_plugin")
	case strings.HasPrefix(base, "pjrt_plugin_"):
		return strings.TrimPrefix(base, "pjrt_plugin_")
	}
	return strings.TrimPrefix(base, "lib")
}

// sitePackages lists python3's site-packages directories: those python3 reports (when it
// runs within two seconds) and the usual locations.
func sitePackages() []string {
	var dirs []string
	pySiteOnce.Do(func() { pySite = askPython() })
	dirs = append(dirs, pySite...)
	var globs []string
	for _, env := range []string{"VIRTUAL_ENV", "CONDA_PREFIX"} {
		if p := os.Getenv(env); p != "" {
			globs = append(globs, filepath.Join(p, "lib", "python3*", "site-packages"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		globs = append(globs, filepath.Join(home, ".local", "lib", "python3*", "site-packages"))
	}
	globs = append(globs, "/usr/local/lib/python3*/dist-packages", "/usr/local/lib/python3*/site-packages",
		"/usr/lib/python3/dist-packages", "/usr/lib/python3*/site-packages")
	for _, g := range globs {
		m, _ := filepath.Glob(g)
		dirs = append(dirs, m...)
	}
	return dedupe(dirs)
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// libDirs are the standard library directories searched last.
func libDirs() []string {
	dirs := []string{"/usr/local/lib", "/usr/lib", "/lib"}
	switch runtime.GOARCH {
	case "amd64":
		dirs = append(dirs, "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu")
	case "arm64":
		dirs = append(dirs, "/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu")
	}
	if runtime.GOOS == "darwin" {
		dirs = append(dirs, "/opt/homebrew/lib")
	}
	return dirs
}

var (
	pySiteOnce sync.Once
	pySite     []string
)

// askPython returns the site-packages directories python3 reports, if it answers within
// two seconds (once per process: a pyenv shim can be slow).
func askPython() []string {
	py, err := exec.LookPath("python3")
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-c",
		"import site,sys\nfor d in site.getsitepackages()+[site.getusersitepackages()]+sys.path: print(d)")
	cmd.WaitDelay = 500 * time.Millisecond // a shim's children may keep the pipe open
	out, err := cmd.Output()
	if err != nil {
		return nil
	}
	var dirs []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); strings.HasSuffix(l, "-packages") {
			dirs = append(dirs, l)
		}
	}
	return dirs
}

// candidates lists the places a PJRT plugin is looked for, in order: CROSSBAR_PJRT_PLUGIN,
// then PJRT_PLUGIN_LIBRARY_PATH (each a path, or a list separated by the path-list
// separator; in PJRT_PLUGIN_LIBRARY_PATH a directory stands for the plugins in it, by
// pluginFiles), then the plugins of installed Python packages (libtpu/libtpu.so and
// jax_plugins/*/xla_*_plugin.so under python3's site-packages, newest first), then
// libtpu.so and pjrt_c_api_*_plugin.so in the standard library directories. Nothing is
// looked for in the working directory: relative paths are skipped.
func candidates() []pluginPath {
	var out []pluginPath
	for _, env := range []string{"CROSSBAR_PJRT_PLUGIN", "PJRT_PLUGIN_LIBRARY_PATH"} {
		for _, p := range filepath.SplitList(os.Getenv(env)) {
			if p == "" {
				continue
			}
			if fi, err := os.Stat(p); env == "PJRT_PLUGIN_LIBRARY_PATH" && err == nil && fi.IsDir() {
				out = append(out, pluginFiles(p, env)...)
				continue
			}
			out = append(out, pluginPath{path: p, name: pluginName(p), source: env})
		}
	}
	fixedOnce.Do(func() { fixed = fixedCandidates() })
	return append(out, fixed...)
}

var (
	fixedOnce sync.Once
	fixed     []pluginPath
)

// fixedCandidates are the candidates that do not depend on the environment variables,
// looked up once per process.
func fixedCandidates() []pluginPath {
	var out []pluginPath
	for _, d := range sitePackages() {
		out = append(out, pluginPath{path: filepath.Join(d, "libtpu", "libtpu.so"), name: "tpu", source: "python3 site-packages"})
		// Newest first (xla_cuda13 before xla_cuda12): one plugin of a kind is used, the
		// first that loads.
		out = append(out, globPlugins(filepath.Join(d, "jax_plugins", "*", "xla_*_plugin.so"), "python3 site-packages", true)...)
	}
	for _, d := range libDirs() {
		out = append(out, pluginPath{path: filepath.Join(d, "libtpu.so"), name: "tpu", source: "lib dir"})
		out = append(out, globPlugins(filepath.Join(d, "pjrt_c_api_*_plugin.so"), "lib dir", false)...)
	}
	return out
}

// globPlugins lists the files that pattern matches as plugins found by source, in the
// order of their names, or the reverse order with newestFirst.
func globPlugins(pattern, source string, newestFirst bool) []pluginPath {
	m, _ := filepath.Glob(pattern)
	sort.Strings(m)
	if newestFirst {
		slices.Reverse(m)
	}
	out := make([]pluginPath, 0, len(m))
	for _, p := range m {
		out = append(out, pluginPath{path: p, name: pluginName(p), source: source})
	}
	return out
}

// pciDevices is where Linux lists the PCI devices (a variable for the tests).
var pciDevices = "/sys/bus/pci/devices"

// tpuPCIDevices are the PCI device ids of Google's TPU chips (vendor 0x1ae0), v3 to 8t.
// Google's other PCI devices, such as the gVNIC network card of its cloud machines, share
// the vendor id.
var tpuPCIDevices = map[string]bool{"0x0027": true, "0x0056": true, "0x005e": true, "0x0062": true,
	"0x0063": true, "0x006f": true, "0x0076": true, "0x007c": true, "0x0083": true}

// tpuChips counts the TPU chips on the PCI bus. libtpu is loaded only where there is one
// (unless it is named in CROSSBAR_PJRT_PLUGIN or PJRT_PLUGIN_LIBRARY_PATH): elsewhere its
// client asks the cloud's metadata server for a TPU and retries for minutes, which would
// hold up every program that lists its devices on a machine where pip installed libtpu.
func tpuChips() int {
	vendors, _ := filepath.Glob(filepath.Join(pciDevices, "*", "vendor"))
	n := 0
	for _, v := range vendors {
		id, err := os.ReadFile(v)
		if err != nil || strings.TrimSpace(string(id)) != "0x1ae0" {
			continue
		}
		dev, err := os.ReadFile(filepath.Join(filepath.Dir(v), "device"))
		if err == nil && tpuPCIDevices[strings.TrimSpace(string(dev))] {
			n++
		}
	}
	return n
}

// explicit reports whether c was named in an environment variable rather than found.
func (c pluginPath) explicit() bool {
	return c.source == "CROSSBAR_PJRT_PLUGIN" || c.source == "PJRT_PLUGIN_LIBRARY_PATH"
}

// pluginPatterns are the file names of PJRT plugins in a directory of them.
var pluginPatterns = []string{"libtpu.so", "pjrt_c_api_*_plugin.so", "pjrt_plugin_*.so", "xla_*_plugin.so"}

// pluginFiles lists the plugins in directory dir (named in source), or, with none, the
// directory with a note that says so.
func pluginFiles(dir, source string) []pluginPath {
	var out []pluginPath
	for _, pat := range pluginPatterns {
		out = append(out, globPlugins(filepath.Join(dir, pat), source, false)...)
	}
	if len(out) == 0 {
		out = append(out, pluginPath{path: dir, source: source,
			note: "a directory with no plugin (" + strings.Join(pluginPatterns, ", ") + ")"})
	}
	return out
}
