package tokencls

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/tokenize"
	"github.com/medbert/medbert/train"
)

// TestMeasureCorpus trains a small model from scratch on a full NER corpus
// and reports test-split entity F1. It runs only when MEDBERT_NER_DATA
// names a folder holding <corpus>/train.tsv and test.tsv (the shared
// ncbi-disease-ner/ or bc5cdr-ner/ layout); MEDBERT_NER_CORPUS picks the
// corpus (default ncbi-disease-ner) and MEDBERT_NER_STEPS the optimizer
// steps (default 3000). MEDBERT_NER_LOWER=1 uses the uncased vocabulary;
// MEDBERT_NER_EVAL_STEPS=n evaluates on devel.tsv every n steps and keeps
// the checkpoint with the best devel F1 (load_best_model_at_end);
// MEDBERT_NER_DROPOUT sets hidden_dropout_prob (default 0.1) and
// MEDBERT_NER_LABEL_ALL=1 labels every piece. Not in CI: it takes minutes.
func TestMeasureCorpus(t *testing.T) {
	dir := os.Getenv("MEDBERT_NER_DATA")
	if dir == "" {
		t.Skip("MEDBERT_NER_DATA not set")
	}
	corpus := os.Getenv("MEDBERT_NER_CORPUS")
	if corpus == "" {
		corpus = "ncbi-disease-ner"
	}
	steps := 3000
	if s := os.Getenv("MEDBERT_NER_STEPS"); s != "" {
		var err error
		if steps, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	trainS := readSentences(t, filepath.Join(dir, corpus, "train.tsv"))
	testS := readSentences(t, filepath.Join(dir, corpus, "test.tsv"))
	lower := os.Getenv("MEDBERT_NER_LOWER") == "1"
	vocab := "bert-base-cased-vocab.txt"
	if lower {
		vocab = "bert-base-uncased-vocab.txt"
	}
	v, err := tokenize.LoadVocab(filepath.Join("..", "..", "testdata", "vocab", vocab))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.New(v, tokenize.DefaultSettings(lower))
	if err != nil {
		t.Fatal(err)
	}
	labels, err := TagLabels(trainS)
	if err != nil {
		t.Fatal(err)
	}
	cfg := bert.DefaultConfig()
	cfg.VocabSize, cfg.HiddenSize, cfg.NumHiddenLayers, cfg.NumAttentionHeads = v.Len(), 128, 2, 4
	cfg.IntermediateSize, cfg.MaxPositionEmbeddings = 512, 128
	if d := os.Getenv("MEDBERT_NER_DROPOUT"); d != "" {
		if cfg.HiddenDropoutProb, err = strconv.ParseFloat(d, 64); err != nil {
			t.Fatal(err)
		}
	}
	m, err := NewModel(cfg, labels, 1)
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{MaxLength: 128, LabelAllTokens: os.Getenv("MEDBERT_NER_LABEL_ALL") == "1"}
	var devS []data.Sentence
	evalSteps, _ := strconv.Atoi(os.Getenv("MEDBERT_NER_EVAL_STEPS"))
	if evalSteps > 0 {
		devS = readSentences(t, filepath.Join(dir, corpus, "devel.tsv"))
	}
	task, err := NewTask(m, tok, trainS, devS, opt)
	if err != nil {
		t.Fatal(err)
	}
	a := train.Defaults()
	a.OutputDir, a.MaxSteps, a.PerDeviceTrainBatchSize, a.LearningRate = t.TempDir(), steps, 32, 1e-3
	a.WarmupRatio, a.WeightDecay, a.LoggingSteps, a.SaveStrategy = 0.06, 0.01, 200, "no"
	a.DisableProgressBar = true
	if evalSteps > 0 {
		a.EvalStrategy, a.EvalSteps, a.SaveStrategy, a.SaveSteps = "steps", evalSteps, "steps", evalSteps
		a.SaveTotalLimit, a.LoadBestModelAtEnd, a.MetricForBestModel = 1, true, "f1"
	}
	start := time.Now()
	res, err := (&train.Trainer{Args: &a, Task: task, Log: testLog{t}}).Train(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	rep, err := Evaluate(context.Background(), m, tok, testS, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d steps in %s (train loss %.4f); test entity P %.4f R %.4f F1 %.4f, word accuracy %.4f",
		corpus, res.GlobalStep, el.Round(time.Second), res.TrainLoss,
		rep.Entities.Micro.Precision, rep.Entities.Micro.Recall, rep.Entities.Micro.F1, rep.Accuracy)
	for i, typ := range rep.Entities.Types {
		t.Logf("  %s F1 %.4f (support %d)", typ, rep.Entities.PerType[i].F1, rep.Entities.PerType[i].Support)
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(string(p))
	return len(p), nil
}
