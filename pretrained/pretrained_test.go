package pretrained

import (
	"context"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/pretrain"
	"github.com/medbert/medbert/safetensors"
	"github.com/medbert/medbert/tokenize"
)

// load returns the embedded model with its masked-LM head and tokenizer.
func load(t *testing.T) (*bert.Model, *tokenize.Tokenizer) {
	t.Helper()
	m, rep, err := bert.LoadFS(Files(), Name, bert.LoadOptions{Head: bert.HeadMLM})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Missing) > 0 {
		t.Fatalf("the embedded checkpoint lacks %v", rep.Missing)
	}
	s, v, err := tokenize.ReadFS(Files(), Name)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.New(v, s)
	if err != nil {
		t.Fatal(err)
	}
	return m, tok
}

// The folder is what the card says: a cased 28,996-token vocabulary, a
// 4-layer hidden-256 BERT with its MLM head, every tensor half precision,
// small enough to embed.
func TestFolder(t *testing.T) {
	m, tok := load(t)
	c := m.Config
	if c.NumHiddenLayers != 4 || c.HiddenSize != 256 || c.NumAttentionHeads != 4 || c.IntermediateSize != 1024 ||
		c.VocabSize != 28996 || c.MaxPositionEmbeddings != 128 {
		t.Errorf("config: %+v", c)
	}
	if c.HiddenDropoutProb != 0.1 || c.AttentionProbsDropoutProb != 0.1 {
		t.Errorf("dropout %g/%g: fine-tuning expects BERT's 0.1", c.HiddenDropoutProb, c.AttentionProbsDropoutProb)
	}
	if tok.Vocab().Len() != 28996 || tok.Settings().DoLowerCase {
		t.Errorf("tokenizer: %d tokens, lower %v", tok.Vocab().Len(), tok.Settings().DoLowerCase)
	}
	b, err := Files().ReadFile("model.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 25<<20 {
		t.Errorf("weights are %d bytes, over the 25 MiB budget", len(b))
	}
	f, err := safetensors.Parse(b, "model.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range f.Names() {
		if info, _ := f.Info(n); info.DType != safetensors.DTypeF16 {
			t.Errorf("%s is %s, want F16", n, info.DType)
		}
	}
	for _, name := range []string{"README.md", "loss.svg", "config.json", "vocab.txt"} {
		if _, err := fs.Stat(Files(), name); err != nil {
			t.Errorf("the folder lacks %s: %v", name, err)
		}
	}
}

// WriteDir produces a folder the ordinary loaders read, and never
// overwrites a model.
func TestWriteDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	if err := WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if _, _, err := bert.Load(dir, bert.LoadOptions{Head: bert.HeadMLM}); err != nil {
		t.Fatal(err)
	}
	err := WriteDir(dir)
	if err == nil || !strings.Contains(err.Error(), "already holds a model") {
		t.Fatalf("second WriteDir: %v", err)
	}
	tmp, remove, err := TempDir()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := bert.Load(tmp, bert.LoadOptions{Head: bert.HeadSeqCls}); err != nil {
		t.Error(err)
	}
	// A model fine-tuned from the temporary folder names this model as its
	// base (HF's _name_or_path), not the folder.
	cfg, err := bert.LoadConfig(filepath.Join(tmp, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(cfg.Extra["_name_or_path"]); got != `"`+Name+`"` {
		t.Errorf("_name_or_path = %s", got)
	}
	remove()
	if _, err := os.Stat(tmp); err == nil {
		t.Error("remove left the temporary folder")
	}
}

// heldOutPerplexity is the masked-LM perplexity of the shipped (half
// precision) weights on testdata/heldout.jsonl — documents of the card's
// held-out split — with masks drawn from seed 1; the card quotes it.
const heldOutPerplexity = 34.163

// The shipped weights score the held-out slice as the card says, and far
// better than chance (a perplexity near the vocabulary size).
func TestHeldOutPerplexity(t *testing.T) {
	m, tok := load(t)
	dir := t.TempDir()
	packed := filepath.Join(dir, "heldout.pack")
	if _, err := pretrain.Pack(context.Background(), []string{filepath.Join("testdata", "heldout.jsonl")}, tok,
		pretrain.PackOptions{SeqLen: 128}, packed); err != nil {
		t.Fatal(err)
	}
	p, err := pretrain.OpenPacked(packed)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	task := &pretrain.Task{Model: m, Tok: tok, Masker: pretrain.NewMasker(tok, 0.15, false), EvalBatchSize: 16}
	r, err := task.EvaluatePacked(context.Background(), p, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("held-out slice: %d sequences, %d masked, loss %.4f, perplexity %.3f, accuracy %.4f", p.Len(), r.Masked, r.Loss, r.Perplexity, r.Accuracy)
	if math.Abs(r.Perplexity-heldOutPerplexity) > 0.01*heldOutPerplexity {
		t.Errorf("perplexity %.3f, the card says %.3f", r.Perplexity, heldOutPerplexity)
	}
	if r.Perplexity > 100 || r.Accuracy < 0.3 {
		t.Errorf("perplexity %.1f / accuracy %.3f: the model has not learned the language", r.Perplexity, r.Accuracy)
	}
}
