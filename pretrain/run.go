package pretrain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/internal/atomicfile"
	"github.com/medbert/medbert/pipeline"
	"github.com/medbert/medbert/tokenize"
	"github.com/medbert/medbert/train"
)

// Options is one pre-training run.
type Options struct {
	// The model: a folder to continue from (any HF BERT checkpoint; its
	// cls.predictions.* head is used when present, else initialised), or
	// a config.json and vocab.txt for a model from scratch.
	ModelDir, ConfigPath, VocabPath string
	Lower                           *bool // tokenizer casing override

	TrainFiles     []string
	ValidationFile string
	Corpus         CorpusOptions

	MLMProbability float64 // default 0.15
	WholeWordMask  bool

	// Args are the Trainer's settings (OutputDir, MaxSeqLength, epochs or
	// MaxSteps, batch, learning rate, strategies, seed, resume).
	Args      *train.Args
	Overwrite bool // start over in an output folder holding checkpoints
	Log       io.Writer
}

// Result is what a run produced.
type Result struct {
	Train *train.Result
	Stats *PackStats  // training corpus
	Eval  *EvalResult // final validation scores; nil without validation
}

// Run packs the corpus (reusing a packed file made from the same inputs),
// builds or loads the masked-LM model and trains it; the final model is
// an HF-layout BertForMaskedLM folder in Args.OutputDir that
// `medbert train --model` fine-tunes.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	a := o.Args
	if o.MLMProbability == 0 {
		o.MLMProbability = 0.15
	}
	if o.MLMProbability <= 0 || o.MLMProbability >= 1 {
		return nil, fmt.Errorf("mlm probability %g must be in (0, 1)", o.MLMProbability)
	}
	resume, err := train.ResolveResume(a.OutputDir, a.ResumeFromCheckpoint, o.Overwrite, o.Log)
	if err != nil {
		return nil, err
	}
	a.ResumeFromCheckpoint = resume
	m, tok, err := o.model(uint64(a.Seed))
	if err != nil {
		return nil, err
	}
	if mp := m.Config.MaxPositionEmbeddings; a.MaxSeqLength > mp {
		fmt.Fprintf(o.Log, "max sequence length %d exceeds max_position_embeddings; using %d\n", a.MaxSeqLength, mp)
		a.MaxSeqLength = mp
	}
	if err := os.MkdirAll(a.OutputDir, 0o755); err != nil {
		return nil, err
	}
	trainPack, stats, err := packCached(ctx, o.TrainFiles, tok, o.Corpus, a.MaxSeqLength, filepath.Join(a.OutputDir, "pretrain_train.pack"), o.Log)
	if err != nil {
		return nil, err
	}
	defer trainPack.Close()
	task := &Task{Model: m, Tok: tok, Masker: NewMasker(tok, o.MLMProbability, o.WholeWordMask), Train: trainPack,
		EvalSeed: uint64(a.Seed), EvalBatchSize: a.PerDeviceEvalBatchSize}
	if o.ValidationFile != "" {
		ev, _, err := packCached(ctx, []string{o.ValidationFile}, tok, o.Corpus, a.MaxSeqLength, filepath.Join(a.OutputDir, "pretrain_validation.pack"), o.Log)
		if err != nil {
			return nil, err
		}
		defer ev.Close()
		task.Eval = ev
	}
	fmt.Fprintf(o.Log, "model: %d layers, hidden %d, %d parameters; %d training sequences of %d tokens\n",
		m.Config.NumHiddenLayers, m.Config.HiddenSize, m.NumParams(), trainPack.Len(), trainPack.SeqLen)
	tr := &train.Trainer{Args: a, Task: task, Log: o.Log}
	res := &Result{Stats: stats}
	if res.Train, err = tr.Train(ctx); err != nil {
		return nil, err
	}
	if task.Eval != nil {
		if res.Eval, err = task.EvaluatePacked(ctx, task.Eval, task.EvalSeed); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// model loads ModelDir with its masked-LM head, or builds one from
// ConfigPath and VocabPath.
func (o Options) model(seed uint64) (*bert.Model, *tokenize.Tokenizer, error) {
	if (o.ModelDir == "") == (o.ConfigPath == "") {
		return nil, nil, errors.New("give either a model folder or a config.json (with a vocab.txt)")
	}
	if o.ModelDir != "" {
		m, rep, err := bert.Load(o.ModelDir, bert.LoadOptions{Head: bert.HeadMLM, Seed: seed})
		if err != nil {
			return nil, nil, err
		}
		for _, w := range rep.Warnings(bert.ClassName(bert.HeadMLM)) {
			fmt.Fprintln(o.Log, w)
		}
		tok, err := pipeline.LoadTokenizer(o.ModelDir, m.Config, o.Lower)
		return m, tok, err
	}
	cfg, err := bert.LoadConfig(o.ConfigPath)
	if err != nil {
		return nil, nil, err
	}
	v, err := tokenize.LoadVocab(o.VocabPath)
	if err != nil {
		return nil, nil, err
	}
	if v.Len() > cfg.VocabSize {
		return nil, nil, fmt.Errorf("%s has %d tokens but %s says vocab_size %d", o.VocabPath, v.Len(), o.ConfigPath, cfg.VocabSize)
	}
	cfg.Architectures = []string{bert.ClassName(bert.HeadMLM)}
	m, err := bert.New(cfg, bert.HeadMLM, seed)
	if err != nil {
		return nil, nil, err
	}
	s := tokenize.VocabSettings(v, o.Lower)
	s.ModelMaxLength = cfg.MaxPositionEmbeddings
	tok, err := tokenize.New(v, s)
	return m, tok, err
}

// packManifest identifies what a packed file was made from, so a resumed
// run reuses it and a changed corpus or tokenizer re-packs.
type packManifest struct {
	Files  []fileStamp `json:"files"`
	SeqLen int         `json:"seq_len"`
	Vocab  string      `json:"vocab_sha256"`
	Lower  bool        `json:"lower"`
	Corpus CorpusOptions
	Stats  PackStats `json:"stats"`
}

type fileStamp struct {
	Name  string `json:"name"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime_ns"`
}

func packCached(ctx context.Context, files []string, tok *tokenize.Tokenizer, corpus CorpusOptions, seqLen int, out string, log io.Writer) (*Packed, *PackStats, error) {
	want := packManifest{SeqLen: seqLen, Lower: tok.Settings().DoLowerCase, Corpus: corpus}
	h := sha256.New()
	for _, t := range tok.Vocab().Tokens() {
		h.Write([]byte(t + "\n"))
	}
	want.Vocab = hex.EncodeToString(h.Sum(nil))
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return nil, nil, err
		}
		want.Files = append(want.Files, fileStamp{filepath.Base(f), st.Size(), st.ModTime().UnixNano()})
	}
	var have packManifest
	if b, err := os.ReadFile(out + ".json"); err == nil && json.Unmarshal(b, &have) == nil {
		stats := have.Stats
		have.Stats = PackStats{}
		a, _ := json.Marshal(have)
		b, _ := json.Marshal(want)
		if string(a) == string(b) {
			if p, err := OpenPacked(out); err == nil {
				fmt.Fprintf(log, "reusing %s: %d sequences\n", filepath.Base(out), p.Len())
				return p, &stats, nil
			}
		}
	}
	fmt.Fprintf(log, "packing %d file(s) into %s\n", len(files), filepath.Base(out))
	stats, err := Pack(ctx, files, tok, PackOptions{Corpus: corpus, SeqLen: seqLen, Progress: func(docs, seqs int64) {
		fmt.Fprintf(log, "  %d documents, %d sequences\n", docs, seqs)
	}}, out)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(log, "packed %d documents, %d tokens into %d sequences (%d tokens of the last partial one dropped)\n",
		stats.Documents, stats.Tokens, stats.Sequences, stats.Dropped)
	want.Stats = *stats
	b, _ := json.MarshalIndent(want, "", "  ")
	if err := atomicfile.WriteBytes(out+".json", b); err != nil {
		return nil, nil, err
	}
	p, err := OpenPacked(out)
	return p, stats, err
}
