package backend_tpu

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// mlirOpt is the MLIR 15 tool that validates emitted modules (Debian mlir-15-tools).
const mlirOpt = "mlir-opt-15"

// findMLIROpt returns the path of mlir-opt-15, skipping the test without it (failing it
// under CI=true, where scripts/test.sh installs it).
func findMLIROpt(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath(mlirOpt)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (Debian package mlir-15-tools): %v", mlirOpt, err)
		}
		t.Skipf("%s not found (install Debian mlir-15-tools): %v", mlirOpt, err)
	}
	return p
}

var (
	arrayAttr      = regexp.MustCompile(`array<i64: ([^>]*)>`)
	emptyArrayAttr = regexp.MustCompile(`array<i64>`)
)

// forMLIR15 rewrites the dense array attributes of current MLIR (array<i64: 1, 2>) into the
// spelling MLIR 15 parses ([:i64 1, 2]); nothing else differs.
func forMLIR15(text string) string {
	text = arrayAttr.ReplaceAllString(text, "[:i64 $1]")
	return emptyArrayAttr.ReplaceAllString(text, "[:i64]")
}

const splitMarker = "\n// -----\n"

// validateModules parses and verifies modules with mlir-opt-15 in one process
// (--split-input-file); it returns the modules that fail, with the tool's messages.
func validateModules(t testing.TB, tool string, modules []string) (bad []string, msgs []string) {
	t.Helper()
	if len(modules) == 0 {
		return nil, nil
	}
	run := func(mods []string) (string, error) {
		var in strings.Builder
		for i, m := range mods {
			if i > 0 {
				in.WriteString(splitMarker)
			}
			in.WriteString(forMLIR15(m))
		}
		path := filepath.Join(t.TempDir(), "modules.mlir")
		if err := os.WriteFile(path, []byte(in.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(tool, "--allow-unregistered-dialect", "--split-input-file", "-o", os.DevNull, path)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		return stderr.String(), err
	}
	out, err := run(modules)
	if err == nil {
		return nil, nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("%s: %v", tool, err)
	}
	// Find the failing modules one by one.
	for _, m := range modules {
		if o, err := run([]string{m}); err != nil {
			bad = append(bad, m)
			msgs = append(msgs, o)
		}
	}
	if len(bad) == 0 {
		t.Fatalf("%s failed on the batch but on no single module:\n%s", tool, out)
	}
	return bad, msgs
}

func lookTool() (string, error) { return exec.LookPath(mlirOpt) }
