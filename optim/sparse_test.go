package optim

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/medbert/medbert/kernels"
)

// rowSparse is a RowSparse over fixed slices.
type rowSparse struct {
	rows  []int
	vals  []float32
	width int
}

func (s *rowSparse) RowGrads() ([]int, []float32, int) { return s.rows, s.vals, s.width }

// TestSparseStepMatchesDenseWithZeros: a (V, D) table whose gradient lists
// a handful of rows (unsorted, the first and last rows, rows straddling the
// block boundaries) steps to the same parameters and moments, bit for bit,
// as the same table with a dense gradient that is zero elsewhere, over
// several clipped (StepScaled) and unclipped steps, next to a dense param,
// on every kernel implementation; GradNorm and ClipGradNorm agree too.
func TestSparseStepMatchesDenseWithZeros(t *testing.T) {
	for _, impl := range kernels.Available() {
		t.Run(impl, func(t *testing.T) {
			restore, err := kernels.Use(impl)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			sparseVsDense(t)
		})
	}
}

func sparseVsDense(t *testing.T) {
	const d = 37                               // odd: vector bodies and tails inside a row
	const v = 2*blockSize/d + 90               // three blocks
	edge1, edge2 := blockSize/d, 2*blockSize/d // rows holding elements blockSize and 2·blockSize
	r := rand.New(rand.NewPCG(21, 22))
	mk := func() []Param {
		r := rand.New(rand.NewPCG(23, 24))
		ps := []Param{{Name: "bert.embeddings.word_embeddings.weight"}, {Name: "classifier.bias"}}
		for i, n := range []int{v * d, 45} {
			ps[i].Data = make([]float32, n)
			for j := range ps[i].Data {
				ps[i].Data[j] = float32(r.NormFloat64())
			}
		}
		ps[1].Grad = make([]float32, 45)
		SetHFNoDecay(ps)
		return ps
	}
	dense, sparse := mk(), mk()
	dense[0].Grad = make([]float32, v*d)
	sg := &rowSparse{width: d}
	sparse[0].Sparse = sg
	cfg := DefaultAdamWConfig()
	cfg.WeightDecay = 0.01
	od, err := NewAdamW(dense, cfg)
	if err != nil {
		t.Fatal(err)
	}
	os, err := NewAdamW(sparse, cfg)
	if err != nil {
		t.Fatal(err)
	}
	touched := [][]int{
		{edge1, 3, v - 1, 0, edge2, 1000, 4},
		{7, edge1 + 1, edge1 - 1},
		{},
		{v - 1, 2, 1, edge2, edge2 + 1, 500, 501, 502},
	}
	for step, rows := range touched {
		clear(dense[0].Grad)
		sg.rows, sg.vals = rows, make([]float32, len(rows)*d)
		for k, row := range rows {
			for j := 0; j < d; j++ {
				// Magnitudes over many octaves: float64 sums of their
				// squares round, so a different order shows in the norm.
				g := float32(r.NormFloat64() * math.Exp2(float64(r.IntN(40)-20)))
				sg.vals[k*d+j], dense[0].Grad[row*d+j] = g, g
			}
		}
		for j := range dense[1].Grad {
			g := float32(r.NormFloat64())
			dense[1].Grad[j], sparse[1].Grad[j] = g, g
		}
		nd, ns := GradNorm(dense), GradNorm(sparse)
		if nd != ns {
			t.Fatalf("step %d: norm %v sparse vs %v dense", step, ns, nd)
		}
		if step%2 == 1 {
			// Clip in place: the sparse values scale as the dense rows.
			ClipGradNorm(dense, 1)
			ClipGradNorm(sparse, 1)
			for k, row := range rows {
				for j := 0; j < d; j++ {
					if math.Float32bits(sg.vals[k*d+j]) != math.Float32bits(dense[0].Grad[row*d+j]) {
						t.Fatalf("step %d: clipped row %d differs", step, row)
					}
				}
			}
			err = od.Step(1e-3)
			if err == nil {
				err = os.Step(1e-3)
			}
		} else {
			coef := ClipCoef(nd, 1)
			if coef >= 1 && len(rows) > 0 {
				t.Fatalf("coef %v: the test needs clipping", coef)
			}
			err = od.StepScaled(1e-3, coef)
			if err == nil {
				err = os.StepScaled(1e-3, coef)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := range dense {
			md, vd := od.Moments(i)
			ms, vs := os.Moments(i)
			for j := range dense[i].Data {
				if math.Float32bits(dense[i].Data[j]) != math.Float32bits(sparse[i].Data[j]) ||
					math.Float32bits(md[j]) != math.Float32bits(ms[j]) || math.Float32bits(vd[j]) != math.Float32bits(vs[j]) {
					t.Fatalf("step %d %s[%d]: p,m,v %v,%v,%v sparse vs %v,%v,%v dense", step, dense[i].Name, j,
						sparse[i].Data[j], ms[j], vs[j], dense[i].Data[j], md[j], vd[j])
				}
			}
			if os.StepCount(i) != int64(step+1) {
				t.Fatalf("%s: step count %d after %d steps", dense[i].Name, os.StepCount(i), step+1)
			}
		}
	}
	// The comparison covers rows the sparse gradient never listed: weight
	// decay moved them, and row 3's moments decayed after its one step.
	if init := mk()[0].Data[10*d]; sparse[0].Data[10*d] == init {
		t.Error("untouched row 10 did not decay: the test checks nothing there")
	}
	if m, _ := os.Moments(0); m[3*d] == 0 {
		t.Error("row 3 has no first moment")
	}
}

func TestSparseValidation(t *testing.T) {
	data := make([]float32, 12)
	sg := &rowSparse{rows: []int{1}, vals: make([]float32, 4), width: 4}
	if _, err := NewAdamW([]Param{{Name: "w", Data: data, Grad: make([]float32, 12), Sparse: sg}}, DefaultAdamWConfig()); err == nil ||
		!strings.Contains(err.Error(), "both") {
		t.Errorf("dense and sparse gradient: %v", err)
	}
	if _, err := NewAdamW([]Param{{Name: "w", Data: data, Sparse: &rowSparse{width: 5}}}, DefaultAdamWConfig()); err == nil ||
		!strings.Contains(err.Error(), "width 5") {
		t.Errorf("width 5 of 12 elements: %v", err)
	}
	if _, err := NewAdamW([]Param{{Name: "w", Data: data, Sparse: &rowSparse{width: 0}}}, DefaultAdamWConfig()); err == nil {
		t.Error("width 0 accepted")
	}
	opt, err := NewAdamW([]Param{{Name: "w", Data: data, Sparse: sg}}, DefaultAdamWConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		rows []int
		nval int
		want string
	}{
		{[]int{3}, 4, "row 3 outside [0, 3)"},
		{[]int{-1}, 4, "row -1 outside"},
		{[]int{2, 0, 2}, 12, "row 2 twice"},
		{[]int{0, 1}, 4, "4 values for 2 rows"},
	} {
		sg.rows, sg.vals = c.rows, make([]float32, c.nval)
		if err := opt.Step(1e-3); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("rows %v: %v, want %q", c.rows, err, c.want)
		}
		if n := GradNorm(opt.Params()); !math.IsNaN(n) {
			t.Errorf("rows %v: norm %v, want NaN", c.rows, n)
		}
	}
	if opt.StepCount(0) != 0 || data[0] != 0 {
		t.Error("a refused step changed the state")
	}
	opt.Params()[0].Grad = make([]float32, 12)
	if err := opt.Step(1e-3); err == nil {
		t.Error("Step accepted a param given both gradients")
	}
}
