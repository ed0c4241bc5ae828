package train

import (
	"context"
	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/tokenize"
	"math/rand/v2"

	"github.com/medbert/medbert/tensor"
)

// NamedParam is one trainable tensor with its HF name ("classifier.weight").
type NamedParam struct {
	Name string
	T    *tensor.Tensor
}

// Task is everything model- and data-specific the Trainer needs. The
// Trainer owns the optimisation (order of feature rows, accumulation,
// clipping, AdamW, schedule), logging, evaluation timing and checkpoints; a
// Task owns the model, the featurized data, the loss and the metrics.
// Sequence classification is task/seqcls.Task; token classification and QA
// implement the same six methods in their own task packages.
type Task interface {
	// Params lists the trainable parameters with HF names, in a fixed order.
	Params() []NamedParam
	// NumTrain is the number of training feature rows, which may exceed
	// the number of examples (a long QA context gives several windows);
	// the Trainer hands out row indexes in [0, NumTrain).
	NumTrain() int
	// Loss runs a training-mode forward (bert.Options{Grad: true, Dropout:
	// ...}) over the feature rows idx and returns the mean loss as a scalar
	// tensor connected to the parameters: the head's own loss (pass
	// bert.Labels to Forward), so training matches HF's model classes;
	// a task that needs more (class weights) says why in its doc. rng
	// drives dropout; the Trainer derives it from (seed, step) so a resumed
	// run draws the same masks.
	Loss(idx []int, rng *rand.Rand) (*tensor.Tensor, error)
	// Evaluate runs inference on the evaluation set and returns metrics
	// without the "eval_" prefix; "loss" must be among them. It must not
	// change the parameters. ok is false when there is no evaluation set.
	Evaluate(ctx context.Context) (m map[string]float64, ok bool, err error)
	// SaveModel writes a loadable model folder into dir: config.json
	// (with id2label), model.safetensors and the tokenizer files.
	SaveModel(dir string) error
	// LoadWeights replaces the parameter values with those in the model
	// folder dir (resume, load_best_model_at_end).
	LoadWeights(dir string) error
}

// SparseEmbeddingGrader is optionally implemented by a Task whose model can
// keep its word-embedding gradient row-sparse (bert.Model's
// SetSparseEmbeddingGrad): only the rows a step's batches looked up,
// instead of a dense vocab × hidden buffer (85 MiB for BERT-base). The
// Trainer turns it on for the run and off when Train returns; the result
// is the same, bit for bit. SetSparseEmbeddingGrad reports whether it is
// on (a masked-LM model, whose decoder shares the table, says no).
type SparseEmbeddingGrader interface {
	SetSparseEmbeddingGrad(on bool) bool
}

// StepRNG returns the RNG for the training step (0-based global step): a
// pure function of (seed, step), so a resumed run needs no saved RNG state.
func StepRNG(seed int64, step int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0x5eed_0000_0000_0000|uint64(step)))
}

// EpochOrder returns the order in which examples are visited in epoch
// (0-based): a seeded permutation that depends only on (seed, n, epoch),
// so resume only needs the step counter.
func EpochOrder(seed int64, epoch, n int) []int {
	r := rand.New(rand.NewPCG(uint64(seed), uint64(epoch)))
	return r.Perm(n)
}

// ModelParams lists a BERT model's parameters for the Trainer: the Params
// method of every BERT task.
func ModelParams(m *bert.Model) []NamedParam {
	ps := m.Params()
	out := make([]NamedParam, len(ps))
	for i, p := range ps {
		out[i] = NamedParam{Name: p.Name, T: p.T}
	}
	return out
}

// SaveModelDir writes an HF-layout model folder: config.json and
// model.safetensors, then the tokenizer files (tok may be nil): the
// SaveModel method of every BERT task.
func SaveModelDir(m *bert.Model, tok *tokenize.Tokenizer, dir string) error {
	if err := m.Save(dir); err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	return tok.SaveDir(dir)
}
