package seqcls

import (
	"context"
	"errors"
	"github.com/medbert/medbert/metrics"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/safetensors"
	"github.com/medbert/medbert/tokenize"
	"github.com/medbert/medbert/train"
)

const tinyDir = "../../testdata/golden/tiny"

// tinySeqCls loads the tiny golden model with dropout switched on (the
// golden config has 0.0), so determinism and resume also cover the dropout
// stream, and random features over its 512-id vocabulary.
func tinySeqCls(t *testing.T, n int) *Task {
	t.Helper()
	m := tinyModel(t, 0.1)
	cfg := m.Config
	r := rand.New(rand.NewPCG(5, 5))
	feats := func(k int) []Features {
		fs := make([]Features, k)
		for i := range fs {
			l := 4 + r.IntN(12)
			ids := []int{101}
			for j := 0; j < l; j++ {
				ids = append(ids, 104+r.IntN(408))
			}
			ids = append(ids, 102)
			fs[i] = Features{IDs: ids, TypeIDs: make([]int, len(ids)), Label: i % 3}
		}
		return fs
	}
	return &Task{Model: m, Labels: cfg.Labels(), Train: feats(n), Eval: feats(9), EvalBatchSize: 4,
		ClassWeights: []float32{1, 2, 0.5}}
}

func paramBits(task *Task) []uint32 {
	var out []uint32
	for _, p := range task.Params() {
		for _, v := range p.T.Data {
			out = append(out, math.Float32bits(v))
		}
	}
	return out
}

func tinyArgs(dir string) train.Args {
	a := train.Defaults()
	a.OutputDir = dir
	a.NumTrainEpochs = 2
	a.PerDeviceTrainBatchSize = 4
	a.GradientAccumulationSteps = 2
	a.LearningRate = 1e-3
	a.WeightDecay = 0.01
	a.WarmupSteps = 2
	a.LoggingSteps = 2
	a.SaveStrategy = train.StrategyNo
	a.EvalStrategy = train.StrategyEpoch
	a.DisableProgressBar = true
	return a
}

func TestTinyGoldenSeededAndResume(t *testing.T) {
	// 22 examples / batch 4 = 6 batches, 3 steps per epoch, 6 steps.
	runTrain := func(a train.Args, task *Task, onStep func(int), ctx context.Context) (*train.Result, error) {
		tr := &train.Trainer{Args: &a, Task: task, OnStep: onStep}
		return tr.Train(ctx)
	}
	ref := tinySeqCls(t, 22)
	init := paramBits(ref)
	res, err := runTrain(tinyArgs(t.TempDir()), ref, nil, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.GlobalStep != 6 || res.FinalEval["eval_loss"] <= 0 {
		t.Fatalf("step %d, final eval %v", res.GlobalStep, res.FinalEval)
	}
	again := tinySeqCls(t, 22)
	if _, err := runTrain(tinyArgs(t.TempDir()), again, nil, context.Background()); err != nil {
		t.Fatal(err)
	}
	want := paramBits(ref)
	if slices.Equal(init, want) {
		t.Fatal("weights unchanged by training")
	}
	if !slices.Equal(want, paramBits(again)) {
		t.Fatal("seeded run twice: weights differ")
	}

	// Stop after step 4 (Ctrl-C path), resume in a fresh model.
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	_, err = runTrain(tinyArgs(dir), tinySeqCls(t, 22), func(s int) {
		if s == 4 {
			cancel()
		}
	}, ctx)
	cancel()
	if !errors.Is(err, train.ErrInterrupted) {
		t.Fatalf("want ErrInterrupted, got %v", err)
	}
	a := tinyArgs(dir)
	a.ResumeFromCheckpoint = filepath.Join(dir, train.CheckpointName(4))
	resumed := tinySeqCls(t, 22)
	if _, err := runTrain(a, resumed, nil, context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(want, paramBits(resumed)) {
		t.Fatal("stop after 4 steps + resume: final weights differ from the uninterrupted run")
	}
}

func TestCollatePadsToLongest(t *testing.T) {
	in := Collate([]Features{{IDs: []int{101, 5, 102}, TypeIDs: []int{0, 0, 0}}, {IDs: []int{101, 7, 8, 102, 9, 102}, TypeIDs: []int{0, 0, 0, 0, 1, 1}}}, 0)
	if in.Batch != 2 || in.Seq != 6 {
		t.Fatalf("shape %d x %d", in.Batch, in.Seq)
	}
	wantIDs := []int{101, 5, 102, 0, 0, 0, 101, 7, 8, 102, 9, 102}
	wantMask := []int{1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1}
	wantTT := []int{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1}
	for i := range wantIDs {
		if in.InputIDs[i] != wantIDs[i] || in.AttentionMask[i] != wantMask[i] || in.TokenTypeIDs[i] != wantTT[i] {
			t.Fatalf("position %d: ids %v mask %v tt %v", i, in.InputIDs, in.AttentionMask, in.TokenTypeIDs)
		}
	}
}

func TestEvaluateFeaturesLossMatchesGolden(t *testing.T) {
	// The golden batch's seq-cls loss (mean CE) must come out of the
	// evaluation path too: logits via Logits, loss in float64.
	m, _, err := bert.Load(tinyDir, bert.LoadOptions{Head: bert.HeadSeqCls})
	if err != nil {
		t.Fatal(err)
	}
	fs := goldenFeatures(t)
	r, err := Evaluate(context.Background(), m, fs, m.Config.Labels(), 0, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.Loss-1.09943497) > 2e-6 {
		t.Errorf("loss %.8f, golden seqcls_loss 1.09943497", r.Loss)
	}
	if r.Report.Examples != 3 {
		t.Errorf("report over %d examples", r.Report.Examples)
	}
}

func TestClassWeightedLossTrainAndEvalAgree(t *testing.T) {
	// The training loss (tensor.CrossEntropy with weights, float32) and the
	// evaluation loss (float64 from softmax) follow torch's weighted mean:
	// Σ w_y·nll / Σ w_y. Checked against a hand computation from the logits.
	m, _, err := bert.Load(tinyDir, bert.LoadOptions{Head: bert.HeadSeqCls})
	if err != nil {
		t.Fatal(err)
	}
	task := tinySeqCls(t, 6)
	task.Model = m
	w := task.ClassWeights
	idx := []int{0, 1, 2, 3, 4, 5}
	l, err := task.Loss(idx, train.StepRNG(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Evaluate(context.Background(), m, task.Train, task.Labels, 0, 4, w)
	if err != nil {
		t.Fatal(err)
	}
	var num, den float64
	for i, f := range task.Train {
		p := Softmax(r.Logits[i])
		num += -float64(w[f.Label]) * math.Log(p[f.Label])
		den += float64(w[f.Label])
	}
	want := num / den
	if math.Abs(r.Loss-want) > 1e-12 {
		t.Errorf("eval loss %v, hand %v", r.Loss, want)
	}
	if math.Abs(float64(l.Item())-want) > 1e-5 {
		t.Errorf("train loss %v, hand %v", l.Item(), want)
	}
	unweighted, _ := Evaluate(context.Background(), m, task.Train, task.Labels, 0, 4, nil)
	if math.Abs(unweighted.Loss-want) < 1e-4 {
		t.Error("class weights had no effect")
	}
}

// The unweighted training loss is the head's own loss: on the golden batch
// (dropout 0 in the tiny config) it must equal the golden seqcls_loss.
func TestLossIsHeadLossGolden(t *testing.T) {
	m := tinyModelNoDropout(t)
	task := &Task{Model: m, Train: goldenFeatures(t)}
	l, err := task.Loss([]int{0, 1, 2}, train.StepRNG(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(l.Item())-1.09943497) > 2e-6 {
		t.Errorf("loss %.8f, golden seqcls_loss 1.09943497", l.Item())
	}
}

func TestFeaturizeLabelsAndTruncation(t *testing.T) {
	v, err := tokenize.NewVocab("test", []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "chest", "pain", "fever"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.New(v, tokenize.DefaultSettings(true))
	if err != nil {
		t.Fatal(err)
	}
	labels, _ := data.NewLabels([]string{"routine", "urgent"})
	exs := []data.Example{{Text: "chest pain", Label: "urgent"}, {Text: "fever", TextPair: "chest pain fever", Label: "routine"}}
	fs, err := Featurize(tok, labels, exs, 5)
	if err != nil {
		t.Fatal(err)
	}
	if got := fs[0]; !slices.Equal(got.IDs, []int{2, 5, 6, 3}) || got.Label != 1 || got.Truncated() {
		t.Errorf("single: %+v", got)
	}
	// [CLS] fever [SEP] chest pain fever [SEP] = 7 tokens, longest-first to 5:
	// the pair loses two tokens from its longer second text.
	if got := fs[1]; !slices.Equal(got.IDs, []int{2, 7, 3, 5, 3}) || !slices.Equal(got.TypeIDs, []int{0, 0, 0, 1, 1}) ||
		got.Label != 0 || got.Tokens != 7 || !got.Truncated() {
		t.Errorf("pair: %+v", got)
	}
	exs[1].Label = "unknown"
	exs[1].Pos = data.Pos{File: "train.jsonl", Line: 2}
	if _, err := Featurize(tok, labels, exs, 5); err == nil || !strings.Contains(err.Error(), "train.jsonl:2") {
		t.Errorf("unknown label: %v", err)
	}
}

func TestArgmaxFirstOnTies(t *testing.T) {
	if metrics.ArgmaxRow([]float64{0.2, 0.4, 0.4}) != 1 || metrics.ArgmaxRow([]float32{-1}) != 0 || metrics.ArgmaxRow([]float64(nil)) != -1 {
		t.Error("argmax")
	}
}

// goldenFeatures are the golden batch's three sequences without padding.
func goldenFeatures(t *testing.T) []Features {
	t.Helper()
	in, err := safetensors.Open(filepath.Join(tinyDir, "inputs.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	ids, _, _ := in.Int64("input_ids")
	mask, _, _ := in.Int64("attention_mask")
	tt, _, _ := in.Int64("token_type_ids")
	lab, _, _ := in.Int64("seqcls_labels")
	var fs []Features
	for b := 0; b < 3; b++ {
		var f Features
		for s := 0; s < 16; s++ {
			if mask[b*16+s] == 1 {
				f.IDs = append(f.IDs, int(ids[b*16+s]))
				f.TypeIDs = append(f.TypeIDs, int(tt[b*16+s]))
			}
		}
		f.Label = int(lab[b])
		fs = append(fs, f)
	}
	return fs
}

func windowTok(t *testing.T) *tokenize.Tokenizer {
	t.Helper()
	v, err := tokenize.NewVocab("test", []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "chest", "pain", "fever"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.New(v, tokenize.DefaultSettings(true))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Windows by hand: 6 tokens, 3 per window (max length 5), stride 1:
// tokens [0:3], [2:5], [4:6]; of a pair only the second text is windowed.
func TestEncodeWindows(t *testing.T) {
	tok := windowTok(t)
	ws, err := EncodeWindows(tok, "chest pain fever chest pain fever", "", 5, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{{2, 5, 6, 7, 3}, {2, 7, 5, 6, 3}, {2, 6, 7, 3}}
	if len(ws) != len(want) {
		t.Fatalf("%d windows, want %d: %+v", len(ws), len(want), ws)
	}
	for i, w := range ws {
		if !slices.Equal(w.IDs, want[i]) || w.Tokens != 8 || w.Label != -1 {
			t.Errorf("window %d: %+v, want ids %v, 8 tokens", i, w, want[i])
		}
	}
	if ws, _ := EncodeWindows(tok, "chest pain fever chest pain fever", "", 5, 1, 2); len(ws) != 2 {
		t.Errorf("maxWindows 2 gave %d windows", len(ws))
	}
	ws, err = EncodeWindows(tok, "fever", "chest pain fever chest", 7, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantPair := [][]int{{2, 7, 3, 5, 6, 7, 3}, {2, 7, 3, 7, 5, 3}}
	if len(ws) != 2 || !slices.Equal(ws[0].IDs, wantPair[0]) || !slices.Equal(ws[1].IDs, wantPair[1]) ||
		!slices.Equal(ws[1].TypeIDs, []int{0, 0, 0, 1, 1, 1}) {
		t.Errorf("pair windows %+v, want ids %v", ws, wantPair)
	}
	// An input that fits is one window, equal to Encode's.
	ws, _ = EncodeWindows(tok, "fever", "pain", 7, 1, 10)
	one, _ := Encode(tok, "fever", "pain", 7)
	if len(ws) != 1 || !slices.Equal(ws[0].IDs, one.IDs) {
		t.Errorf("short input: %+v, want %+v", ws, one)
	}
}

// A huge text is cut before tokenization, to the same features.
func TestEncodeCutsHugeText(t *testing.T) {
	tok := windowTok(t)
	huge := strings.Repeat("chest pain ", 200_000)
	pair := "fever " + huge
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f, err := Encode(tok, huge, pair, 9)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	// Tokenizing the whole 2.2 MB twice would allocate tens of MB.
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("encoding allocated %d bytes; the texts were not cut first", grew)
	}
	// longest-first on a tie takes the 4 kept tokens 2 + 2... from equal
	// long texts: [CLS] chest pain chest [SEP] fever chest pain [SEP].
	ref, err := tok.EncodePair(huge[:60], "fever "+huge[:60], tokenize.Options{MaxLength: 9, Truncation: tokenize.LongestFirst})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.IDs, ref.IDs) || !f.Truncated() || f.Tokens <= 9 {
		t.Errorf("cut features %+v, want ids %v and truncated", f, ref.IDs)
	}
}
