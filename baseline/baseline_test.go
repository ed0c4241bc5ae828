package baseline

import (
	"math"
	"os"
	"reflect"
	"testing"

	"github.com/medbert/medbert/datasets/medabstracts"
)

func TestWordsAndTerms(t *testing.T) {
	if got := words("Type-2 DM, HbA1c 7.5% — a I"); !reflect.DeepEqual(got, []string{"type", "dm", "hba1c"}) {
		t.Errorf("words = %q", got)
	}
	got := terms("Chest pain, chest PAIN", 2)
	want := map[string]int{"chest": 2, "pain": 2, "chest pain": 2, "pain chest": 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("terms = %v", got)
	}
}

func TestVectorizer(t *testing.T) {
	docs := []string{"fever cough", "fever rash", "cough cough"}
	v := fitVectorizer(docs, 1, 2) // "rash" occurs once: dropped
	if !reflect.DeepEqual(v.Terms, []string{"cough", "fever"}) {
		t.Fatalf("terms %q", v.Terms)
	}
	// idf = ln(4/3)+1 for both (df 2 of 3); doc 3: tf(cough) = 1+ln 2, only
	// feature, so its normalised value is 1.
	s := v.transform("cough cough")
	if len(s.idx) != 1 || s.idx[0] != 0 || math.Abs(s.val[0]-1) > 1e-15 {
		t.Errorf("transform = %+v", s)
	}
	s = v.transform("fever cough cough")
	a, b := 1+math.Log(2), 1.0 // same idf cancels in the normalisation
	n := math.Hypot(a, b)
	if math.Abs(s.val[0]-a/n) > 1e-15 || math.Abs(s.val[1]-b/n) > 1e-15 {
		t.Errorf("transform = %+v, want [%v %v]", s, a/n, b/n)
	}
}

// The analytic gradient must match central differences.
func TestObjectiveGradient(t *testing.T) {
	X := []sparse{
		{[]int32{0, 2}, []float64{0.6, 0.8}},
		{[]int32{1}, []float64{1}},
		{[]int32{0, 1, 2}, []float64{0.5, 0.5, 0.7071}},
	}
	y := []int{2, 0, 1}
	K, V := 3, 3
	nw := K * V
	fg := objective(X, y, K, nw, 0.3)
	x := make([]float64, nw+K)
	for i := range x {
		x[i] = math.Sin(float64(i+1)) * 0.7
	}
	g := make([]float64, len(x))
	fg(x, g)
	tmp := make([]float64, len(x))
	for i := range x {
		h := 1e-6
		xp := append([]float64(nil), x...)
		xm := append([]float64(nil), x...)
		xp[i] += h
		xm[i] -= h
		num := (fg(xp, tmp) - fg(xm, tmp)) / (2 * h)
		if math.Abs(num-g[i]) > 1e-7 {
			t.Errorf("grad[%d] = %v, finite difference %v", i, g[i], num)
		}
	}
}

// lbfgs on a convex quadratic reaches the analytic minimum.
func TestLBFGSQuadratic(t *testing.T) {
	// f = Σ (i+1)(x_i − i)²
	fg := func(x, g []float64) float64 {
		var f float64
		for i := range x {
			d := x[i] - float64(i)
			f += float64(i+1) * d * d
			g[i] = 2 * float64(i+1) * d
		}
		return f
	}
	x := make([]float64, 20)
	f, it := lbfgs(fg, x, 200, 1e-10, 0)
	for i := range x {
		if math.Abs(x[i]-float64(i)) > 1e-8 {
			t.Fatalf("x[%d] = %v after %d iterations (f %v)", i, x[i], it, f)
		}
	}
}

func TestTrainErrors(t *testing.T) {
	if _, err := Train([]string{"a b"}, []int{0, 1}, 2, Options{}); err == nil {
		t.Error("length mismatch accepted")
	}
	if _, err := Train([]string{"aa bb", "cc dd"}, []int{0, 2}, 2, Options{}); err == nil {
		t.Error("label 2 of 2 classes accepted")
	}
	if _, err := Train([]string{"aa bb", "cc dd"}, []int{0, 1}, 2, Options{}); err == nil {
		t.Error("empty vocabulary (min df 2) accepted")
	}
}

// On the embedded Medical Abstracts split the baseline must clearly beat
// the majority class on the held-out test split. By default it trains on
// the first 1,000 training abstracts for 40 L-BFGS iterations (about 2
// CPU-seconds; test macro-F1 0.499 against the majority's 0.098), which
// still needs real learning to pass the +0.3 margin. MEDBERT_SLOW_TESTS=1
// runs the full check: all 2,028 abstracts to convergence (about 20
// CPU-seconds, a minute on a busy machine; macro-F1 0.594).
func TestMedAbstracts(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on the embedded corpus (a few seconds)")
	}
	s, err := medabstracts.Split(medabstracts.DefaultSeed)
	if err != nil {
		t.Fatal(err)
	}
	train, opts, wantF1 := s.Train[:1000], Options{MaxIter: 40}, 0.4989
	if os.Getenv("MEDBERT_SLOW_TESTS") != "" {
		train, opts, wantF1 = s.Train, Options{}, 0.5942
	}
	res, err := Evaluate(train, s.Test, s.Labels, opts)
	if err != nil {
		t.Fatal(err)
	}
	maj, err := MajorityReport(s.Train, s.Test, s.Labels)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("baseline on %d abstracts: %d features, %d iterations; test accuracy %.4f macro-F1 %.4f (majority: %.4f / %.4f)",
		len(train), res.Model.Features(), res.Model.Iterations, res.Report.Accuracy, res.Report.F1Macro, maj.Accuracy, maj.F1Macro)
	if res.Report.F1Macro < maj.F1Macro+0.3 {
		t.Errorf("macro-F1 %.4f not clearly above majority %.4f", res.Report.F1Macro, maj.F1Macro)
	}
	// Training is deterministic, so the measured score is pinned too (a
	// change in features or solver shows up here first; the slack allows a
	// different float rounding, e.g. FMA fusion on other architectures).
	if math.Abs(res.Report.F1Macro-wantF1) > 0.005 { // a couple of the 573 predictions
		t.Errorf("macro-F1 %.4f, measured %.4f when this test was written", res.Report.F1Macro, wantF1)
	}
	if math.Abs(maj.F1Macro-0.0980) > 0.001 {
		t.Errorf("majority macro-F1 %.4f, README says 0.098", maj.F1Macro)
	}
}

// Retraining must give bit-identical probabilities (determinism).
func TestDeterministic(t *testing.T) {
	s, err := medabstracts.Split(medabstracts.DefaultSeed)
	if err != nil {
		t.Fatal(err)
	}
	// Determinism does not need convergence: a short run on a subset.
	train, test := s.Train[:400], s.Test[:100]
	opts := Options{MaxIter: 40}
	a, err := Evaluate(train, test, s.Labels, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Evaluate(train, test, s.Labels, opts)
	if !reflect.DeepEqual(a.Probs, b.Probs) {
		t.Error("retraining changed the predictions")
	}
}
