package train

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestArgsDefaultsAreHF(t *testing.T) {
	a := Defaults()
	if a.LearningRate != 5e-5 || a.AdamEpsilon != 1e-8 || a.AdamBeta1 != 0.9 || a.AdamBeta2 != 0.999 ||
		a.NumTrainEpochs != 3 || a.MaxSteps != -1 || a.PerDeviceTrainBatchSize != 8 || a.WeightDecay != 0 ||
		a.MaxGradNorm != 1 || a.LRSchedulerType != "linear" || a.Seed != 42 || a.SaveSteps != 500 ||
		a.LoggingSteps != 500 || a.EvalStrategy != "no" || a.SaveStrategy != "steps" || a.MaxSeqLength != 128 {
		t.Fatalf("defaults differ from HF: %+v", a)
	}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if a.MetricForBestModel != "" || a.GreaterIsBetter != nil {
		t.Errorf("no best-model metric should be set by default")
	}
}

func TestArgsBestMetricSemantics(t *testing.T) {
	a := Defaults()
	a.EvalStrategy, a.SaveStrategy, a.LoadBestModelAtEnd = "epoch", "epoch", true
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if a.MetricForBestModel != "loss" || *a.GreaterIsBetter || a.BestMetricKey() != "eval_loss" {
		t.Errorf("load_best_model_at_end: metric %q greater %v key %q, want loss/false/eval_loss", a.MetricForBestModel, *a.GreaterIsBetter, a.BestMetricKey())
	}
	b := Defaults()
	b.EvalStrategy, b.SaveStrategy, b.LoadBestModelAtEnd, b.MetricForBestModel = "epoch", "epoch", true, "eval_f1_macro"
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if !*b.GreaterIsBetter || b.BestMetricKey() != "eval_f1_macro" {
		t.Errorf("f1: greater %v key %q", *b.GreaterIsBetter, b.BestMetricKey())
	}
	// eval_steps defaults to logging_steps.
	c := Defaults()
	c.EvalStrategy, c.LoggingSteps = "steps", 7
	if err := c.Validate(); err != nil || c.EvalSteps != 7 {
		t.Errorf("eval_steps = %d (%v), want 7", c.EvalSteps, err)
	}
}

func TestArgsValidateNamesFields(t *testing.T) {
	cases := []struct {
		mut  func(*Args)
		want string
	}{
		{func(a *Args) { a.PerDeviceTrainBatchSize = 0 }, "per_device_train_batch_size"},
		{func(a *Args) { a.LRSchedulerType = "poly" }, "lr_scheduler_type"},
		{func(a *Args) { a.EvalStrategy = "sometimes" }, "eval_strategy"},
		{func(a *Args) { a.LoadBestModelAtEnd = true }, "eval_strategy"},
		{func(a *Args) { a.LoadBestModelAtEnd, a.EvalStrategy = true, "epoch" }, "save_strategy"},
		{func(a *Args) {
			a.LoadBestModelAtEnd, a.EvalStrategy, a.EvalSteps, a.SaveSteps = true, "steps", 10, 15
		}, "save_steps"},
		{func(a *Args) { a.WarmupRatio = 2 }, "warmup_ratio"},
		{func(a *Args) { a.ClassWeights = []float64{1, -1} }, "class_weights"},
		{func(a *Args) { a.AdamEpsilon = 0 }, "adam_epsilon"},
	}
	for _, c := range cases {
		a := Defaults()
		c.mut(&a)
		err := a.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want error naming %s, got %v", c.want, err)
		}
	}
}

func TestArgsJSONRoundTrip(t *testing.T) {
	a := Defaults()
	a.ClassWeights = []float64{1, 2.5}
	a.LoadBestModelAtEnd, a.EvalStrategy, a.SaveStrategy, a.MetricForBestModel = true, "epoch", "epoch", "f1_macro"
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), ArgsFile)
	if err := SaveArgs(p, &a); err != nil {
		t.Fatal(err)
	}
	b, err := LoadArgs(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&a, b) {
		t.Fatalf("round trip:\n%+v\n%+v", a, *b)
	}
	if err := WriteFileAtomic(p, []byte(`{"learning_rate": 1e-3, "learnin_rate": 2}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadArgs(p); err == nil || !strings.Contains(err.Error(), "learnin_rate") {
		t.Fatalf("unknown field not reported: %v", err)
	}
}

func TestWarmupFor(t *testing.T) {
	a := Defaults()
	a.WarmupRatio = 0.1
	if got := a.WarmupFor(95); got != 10 {
		t.Errorf("ceil(0.1*95) = %d, want 10", got)
	}
	a.WarmupSteps = 3
	if got := a.WarmupFor(95); got != 3 {
		t.Errorf("warmup_steps wins: %d", got)
	}
}

func TestEpochOrderPure(t *testing.T) {
	a, b := EpochOrder(42, 3, 50), EpochOrder(42, 3, 50)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same (seed, epoch) gave different orders")
	}
	if reflect.DeepEqual(a, EpochOrder(42, 4, 50)) || reflect.DeepEqual(a, EpochOrder(43, 3, 50)) {
		t.Fatal("order does not depend on epoch and seed")
	}
	seen := make([]bool, 50)
	for _, i := range a {
		seen[i] = true
	}
	for i, s := range seen {
		if !s {
			t.Fatalf("index %d missing: not a permutation", i)
		}
	}
}

func TestCheckMetricSuggests(t *testing.T) {
	known := []string{"loss", "accuracy", "f1_macro"}
	a := Defaults()
	a.MetricForBestModel = "f1-macro"
	err := a.CheckMetric(known)
	if err == nil || !strings.Contains(err.Error(), "did you mean f1_macro?") {
		t.Fatalf("f1-macro: %v", err)
	}
	for _, ok := range []string{"", "f1_macro", "eval_loss"} {
		a.MetricForBestModel = ok
		if err := a.CheckMetric(known); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}
