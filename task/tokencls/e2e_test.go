package tokencls

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/tokenize"
	"github.com/medbert/medbert/train"
)

func readSentences(t testing.TB, path string) []data.Sentence {
	t.Helper()
	s, _, err := data.ReadSentences(path, data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tinyNERConfig is a 2-layer, 32-wide encoder over the given vocabulary.
func tinyNERConfig(vocab int) *bert.Config {
	cfg := bert.DefaultConfig()
	cfg.VocabSize, cfg.HiddenSize, cfg.NumHiddenLayers, cfg.NumAttentionHeads = vocab, 32, 2, 2
	cfg.IntermediateSize, cfg.MaxPositionEmbeddings = 64, 128
	return cfg
}

// TestTrainEvalPredictNCBI runs the whole path on a slice of NCBI-disease:
// a model trained from scratch for a few seconds through the Trainer,
// saved, loaded back, evaluated on test sentences, and used to tag raw
// text. A few seconds of training cannot make a good tagger; the test
// checks the path and that predicted spans slice the text they were found
// in.
func TestTrainEvalPredictNCBI(t *testing.T) {
	trainS := readSentences(t, "testdata/ncbi_train_small.tsv")
	testS := readSentences(t, "testdata/ncbi_test_small.tsv")
	v, err := tokenize.LoadVocab(filepath.Join("..", "..", "testdata", "vocab", "bert-base-cased-vocab.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.New(v, tokenize.DefaultSettings(false))
	if err != nil {
		t.Fatal(err)
	}
	labels, err := TagLabels(trainS)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(tinyNERConfig(v.Len()), labels, 1)
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{MaxLength: 64}
	task, err := NewTask(m, tok, trainS, testS[:40], opt)
	if err != nil {
		t.Fatal(err)
	}
	if task.NumTrain() < len(trainS) {
		t.Fatalf("%d windows for %d sentences", task.NumTrain(), len(trainS))
	}
	a := train.Defaults()
	a.OutputDir, a.MaxSteps, a.PerDeviceTrainBatchSize, a.LearningRate = t.TempDir(), 120, 16, 3e-3
	a.LoggingStrategy, a.SaveStrategy, a.EvalStrategy, a.DisableProgressBar = "no", "no", "steps", true
	a.EvalSteps = 120
	res, err := (&train.Trainer{Args: &a, Task: task}).Train(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("train loss %.3f; eval %v", res.TrainLoss, res.FinalEval)
	if res.FinalEval["eval_f1"] != task.LastReport.Entities.Micro.F1 || !(res.FinalEval["eval_loss"] > 0) {
		t.Errorf("final eval %v does not come from the task's report", res.FinalEval)
	}

	loaded, _, err := bert.Load(a.OutputDir, bert.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ltok, err := tokenize.LoadDir(a.OutputDir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Evaluate(context.Background(), loaded, ltok, testS, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("test: f1 %.3f precision %.3f recall %.3f accuracy %.3f", rep.Entities.Micro.F1, rep.Entities.Micro.Precision, rep.Entities.Micro.Recall, rep.Accuracy)
	if rep.Words != countWords(testS) || rep.Accuracy < 0.8 {
		t.Errorf("words %d accuracy %.3f: want every word scored and most tags (O) right", rep.Words, rep.Accuracy)
	}

	// Raw text: the test sentences with odd spacing and an accent.
	var texts []string
	for _, s := range testS[:30] {
		texts = append(texts, "Ménière:  "+strings.Join(s.Tokens, " \u00a0"))
	}
	p := &Predictor{Model: loaded, Tokenizer: ltok, Options: Options{MaxLength: 32}, Aggregation: AggregateAverage}
	ents, err := p.PredictBatch(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, es := range ents {
		rs := []rune(texts[i])
		for _, e := range es {
			n++
			if e.Start < 0 || e.End <= e.Start || e.End > len(rs) || string(rs[e.Start:e.End]) != e.Text || e.Type != "Disease" || !(e.Score > 0 && e.Score <= 1) {
				t.Errorf("text %d: bad entity %+v", i, e)
			}
		}
	}
	if n == 0 {
		t.Error("no entity predicted in 30 test sentences")
	}
	t.Logf("%d entities, first text: %+v", n, ents[0])
}

func countWords(ss []data.Sentence) int {
	n := 0
	for _, s := range ss {
		n += len(s.Tokens)
	}
	return n
}
