//go:build !purego

package kernels

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGeneratedRequires checks each generated file's "// Requires:" lines
// against the requirements the dispatch records (and checks via cpuid) for
// the impl that calls its functions.
func TestGeneratedRequires(t *testing.T) {
	files, _ := filepath.Glob("*_amd64.s")
	if len(files) == 0 {
		t.Skip("no generated amd64 files")
	}
	reqs := map[string]string{"avx2": avx2Impl.requires, "avx512": avx512Impl.requires, "vnni": int8VNNI.requires}
	for _, f := range files {
		isa := ""
		for name := range reqs {
			if strings.Contains(f, "_"+name+"_") {
				isa = name
			}
		}
		if isa == "" {
			t.Fatalf("%s: cannot tell its ISA from the name", f)
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		allowed := strings.Split(reqs[isa], ", ")
		n := 0
		for _, line := range strings.Split(string(src), "\n") {
			if rest, ok := strings.CutPrefix(line, "// Requires: "); ok {
				n++
				for _, ext := range strings.Split(rest, ", ") {
					if !slices.Contains(allowed, ext) {
						t.Errorf("%s needs %s, which impl %s does not require (%s)", f, ext, isa, reqs[isa])
					}
				}
			}
		}
		if n == 0 {
			t.Errorf("%s has no Requires lines", f)
		}
	}
}
