package main

import (
	"flag"
	"io"
	"math"
	"testing"

	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/train"
)

func TestTrainingFlagsMapToArgs(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a := train.Defaults()
	var cw classWeightsFlag
	bindTrainingArgs(fs, &a, &cw)
	err := fs.Parse([]string{"--batch-size", "16", "--learning-rate", "2e-5", "--num-train-epochs", "5",
		"--eval-strategy", "steps", "--eval-steps", "50", "--save-strategy", "steps", "--save-steps", "100",
		"--greater-is-better=false", "--metric-for-best-model", "f1_macro", "--load-best-model-at-end",
		"--warmup-ratio", "0.06", "--lr-scheduler-type", "cosine", "--class-weights", "1,2.5,0.5", "--seed", "7"})
	if err != nil {
		t.Fatal(err)
	}
	if a.PerDeviceTrainBatchSize != 16 || a.LearningRate != 2e-5 || a.NumTrainEpochs != 5 || a.EvalSteps != 50 ||
		a.SaveSteps != 100 || a.GreaterIsBetter == nil || *a.GreaterIsBetter || !a.LoadBestModelAtEnd ||
		a.WarmupRatio != 0.06 || a.LRSchedulerType != "cosine" || a.Seed != 7 || a.MetricForBestModel != "f1_macro" {
		t.Fatalf("args %+v", a)
	}
	if cw.balanced || len(cw.weights) != 3 || cw.weights[1] != 2.5 {
		t.Fatalf("class weights %+v", cw)
	}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := cw.Set("1,x"); err == nil {
		t.Error("bad class weight accepted")
	}
}

func TestBalancedWeights(t *testing.T) {
	// sklearn compute_class_weight("balanced", classes=[0,1,2], y=[0,0,0,1]):
	// n/(k*count) = 4/(3*3), 4/(3*1); an absent class gets 1.
	exs := []data.Example{{Label: "a"}, {Label: "a"}, {Label: "a"}, {Label: "b"}}
	w := balancedWeights(exs, map[string]int{"a": 0, "b": 1, "c": 2}, 3)
	want := []float64{4.0 / 9, 4.0 / 3, 1}
	for i := range want {
		if math.Abs(w[i]-want[i]) > 1e-15 {
			t.Fatalf("weights %v, want %v", w, want)
		}
	}
}

func TestSortedLabelsNumericAware(t *testing.T) {
	got := sortedLabels([]data.Example{{Label: "10"}, {Label: "2"}, {Label: "1"}, {Label: "2"}})
	if len(got) != 3 || got[0] != "1" || got[1] != "2" || got[2] != "10" {
		t.Fatalf("labels %v, want [1 2 10] (data.SortLabels order)", got)
	}
}
