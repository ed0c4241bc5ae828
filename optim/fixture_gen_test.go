package optim

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medbert/medbert/safetensors"
)

// fixturePath is a reduced copy of the golden AdamW runs (the nine
// adamw_*_step{1,2,3}.safetensors files are 15 MB; this is about 8 MB).
// Tensors are copied bit for bit under "<run>/<step>/<golden name>":
//
//	adamw/1/{grad,exp_avg,exp_avg_sq}.K     step 1 of the eps 1e-6 run
//	adamw/2/{K,exp_avg,exp_avg_sq}.K        step 2; its grads are bit-identical
//	                                        to step 1's (step 1 has lr 0, so
//	                                        step 2 sees the initial weights;
//	                                        checked below), and step 1's
//	                                        params are the initial weights
//	adamw/3/{K,grad,exp_avg,exp_avg_sq}.K   step 3
//	adamw_maxnorm0.02/1/grad.K              step-1 clipped grads (coef 0.31)
//	<run>/3/{K,grad,exp_avg,exp_avg_sq}.K   step 3 of the eps1e-8 and
//	                                        maxnorm0.02 runs
//
// Metadata "<run>/<step>/<key>" holds every step file's metadata verbatim.
const fixturePath = "../testdata/golden/tiny/adamw_reduced.safetensors"

var goldenRuns = []string{"adamw", "adamw_eps1e-8", "adamw_maxnorm0.02"}

// TestGenerateAdamWFixture rebuilds fixturePath from the full golden set:
//
//	MEDBERT_GOLDEN_SRC=/path/to/shared/golden/tiny go test ./optim -run TestGenerateAdamWFixture
func TestGenerateAdamWFixture(t *testing.T) {
	src := os.Getenv("MEDBERT_GOLDEN_SRC")
	if src == "" {
		t.Skip("set MEDBERT_GOLDEN_SRC to the full golden tiny/ folder to regenerate " + fixturePath)
	}
	initial, err := safetensors.Open(filepath.Join(src, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer initial.Close()
	meta := map[string]string{"format": "pt", "source": "medbert optim: reduced copy of shared/golden/tiny/adamw_*_step{1,2,3}.safetensors (see optim/fixture_gen_test.go)"}
	var out []safetensors.Tensor
	for _, run := range goldenRuns {
		files := make([]*safetensors.File, 4)
		for step := 1; step <= 3; step++ {
			f, err := safetensors.Open(filepath.Join(src, fmt.Sprintf("%s_step%d.safetensors", run, step)))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			files[step] = f
			for k, v := range f.Metadata() {
				meta[fmt.Sprintf("%s/%d/%s", run, step, k)] = v
			}
		}
		keep := func(step int, prefixes ...string) {
			f := files[step]
			for _, n := range f.Names() {
				for _, p := range prefixes {
					isParam := p == "" && !strings.Contains(n, "grad.") && !strings.HasPrefix(n, "exp_avg")
					if (p != "" && strings.HasPrefix(n, p)) || isParam {
						info, _ := f.Info(n)
						b, _ := f.Bytes(n)
						out = append(out, safetensors.Tensor{Name: fmt.Sprintf("%s/%d/%s", run, step, n), DType: info.DType, Shape: info.Shape, Data: bytes.Clone(b)})
						break
					}
				}
			}
		}
		// The dropped tensors must really be redundant.
		for _, n := range files[1].Names() {
			if strings.Contains(n, ".") && !strings.HasPrefix(n, "grad.") && !strings.HasPrefix(n, "exp_avg") {
				want, _ := initial.Bytes(n)
				if got, _ := files[1].Bytes(n); !bytes.Equal(got, want) {
					t.Fatalf("%s step 1: %s differs from the initial weights", run, n)
				}
				g1, _ := files[1].Bytes("grad." + n)
				g2, _ := files[2].Bytes("grad." + n)
				ref, _ := fileFor(t, src, "adamw", 1).Bytes("grad." + n)
				if run != "adamw_maxnorm0.02" && (!bytes.Equal(g1, g2) || !bytes.Equal(g1, ref)) {
					t.Fatalf("%s: step 1/2 grads of %s differ from adamw step 1", run, n)
				}
			}
		}
		switch run {
		case "adamw":
			keep(1, "grad.", "exp_avg.", "exp_avg_sq.")
			keep(2, "", "exp_avg.", "exp_avg_sq.")
		case "adamw_maxnorm0.02":
			keep(1, "grad.")
		}
		keep(3, "", "grad.", "exp_avg.", "exp_avg_sq.")
	}
	if err := safetensors.Write(fixturePath, out, meta); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(fixturePath)
	t.Logf("wrote %s: %d tensors, %d bytes", fixturePath, len(out), st.Size())
}

var openedRef = map[string]*safetensors.File{}

func fileFor(t *testing.T, src, run string, step int) *safetensors.File {
	p := filepath.Join(src, fmt.Sprintf("%s_step%d.safetensors", run, step))
	if f := openedRef[p]; f != nil {
		return f
	}
	f, err := safetensors.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	openedRef[p] = f
	return f
}
