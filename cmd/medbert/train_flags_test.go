package main

import (
	"flag"
	"io"
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

func TestSortedLabelsNumericAware(t *testing.T) {
	// train takes its label vocabulary from data.BuildLabels.
	l, err := data.BuildLabels([]data.Example{{Label: "10"}, {Label: "2"}, {Label: "1"}, {Label: "2"}})
	if err != nil {
		t.Fatal(err)
	}
	got := l.Names()
	if len(got) != 3 || got[0] != "1" || got[1] != "2" || got[2] != "10" {
		t.Fatalf("labels %v, want [1 2 10] (data.SortLabels order)", got)
	}
}
