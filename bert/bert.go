package bert

import (
	"fmt"
	"math/rand/v2"

	"github.com/medbert/medbert/tensor"
)

// Model is one HF BERT class: the trunk (Bert) plus at most one task head,
// named by Head. Exactly the head field matching Head is non-nil.
//
// A Model holds no per-call state: whether a forward records a graph and
// whether dropout is on are Options of that call. Forward is safe for
// concurrent use by any number of inference calls, together with at most
// one call that records a graph through the parameters (a training step
// writes their gradients).
type Model struct {
	Config *Config
	Head   string
	Bert   *BertModel

	SeqCls   *BertForSequenceClassification
	TokenCls *BertForTokenClassification
	QA       *BertForQuestionAnswering
	MLM      *BertForMaskedLM

	quant  *QuantConfig // non-nil once Quantize (or loading an int8 folder) ran
	packed bool         // PackForInference ran: inference only
}

// Input is one batch of B sequences of S tokens, row-major (index b·S + s).
type Input struct {
	Batch, Seq int
	InputIDs   []int
	// AttentionMask is 1 for real tokens and 0 for padding; nil means all 1
	// (HF attention_mask=None: padding, if any, is attended).
	AttentionMask []int
	// TokenTypeIDs are segment ids; nil means all 0.
	TokenTypeIDs []int
	// InputsEmbeds, when set, replaces the word-embedding lookup of
	// InputIDs (HF inputs_embeds): (B·S, H) or (B, S, H) vectors to which
	// the position and token-type embeddings are added. A leaf that
	// requires a gradient makes the forward record the graph from it, so
	// attributions get d(output)/d(embeddings) without touching the
	// parameters' gradients. InputIDs may then be nil.
	InputsEmbeds *tensor.Tensor
}

// Labels are the optional targets; which fields a head reads:
//
//	seqcls:   Class (B) for single-label, or Float (B·num_labels) for
//	          regression / multi-label
//	tokencls: Class (B·S), -100 to ignore
//	qa:       Start, End (B); positions outside [0, S) are ignored
//	mlm:      Class (B·S), -100 to ignore
type Labels struct {
	Class      []int
	Float      []float32
	Start, End []int
}

// Options select how one Forward call runs and what extra outputs it keeps.
type Options struct {
	HiddenStates bool // Output.HiddenStates: embedding output + every layer
	Attentions   bool // Output.Attentions: every layer's probabilities
	// Grad records the autograd graph through the parameters, so that
	// Loss.Backward() fills every parameter's Grad (a training step).
	// Without it the call reads the parameters through detached views and
	// records nothing (inference), whatever other goroutines are doing.
	Grad bool
	// Dropout, when non-nil, turns on training-mode dropout (HF
	// model.train()) with masks drawn from this generator; nil is eval
	// mode. It is per call so that concurrent calls cannot change each
	// other's mode.
	Dropout *rand.Rand
	// PooledOnly is for a caller that reads only PooledOutput and, for
	// sequence classification, Logits. Only each sequence's first ([CLS])
	// row reaches those, so the last layer computes its query, attention
	// output and feed-forward for that row alone (its keys and values still
	// see every token): one layer's work less but its K and V projections,
	// 7% of a BERT-base forward. LastHiddenState is then the (B, 1, H)
	// [CLS] rows. Inference only; refused with Grad, Dropout, HiddenStates,
	// Attentions or a head without a pooler.
	PooledOnly bool
}

// Output is what Forward computed. With Options.Grad the tensors stay in
// the autograd graph, so Loss.Backward() fills every parameter's Grad.
type Output struct {
	Loss *tensor.Tensor // scalar; nil without labels
	// Logits: seqcls (B, num_labels), tokencls (B, S, num_labels), mlm
	// (B, S, V); in training mode with labels, mlm decodes only the labelled
	// positions: (n, V), their rows in batch-major order.
	Logits                 *tensor.Tensor
	StartLogits, EndLogits *tensor.Tensor   // qa: (B, S) each
	LastHiddenState        *tensor.Tensor   // (B, S, H)
	PooledOutput           *tensor.Tensor   // (B, H); nil for heads without a pooler
	HiddenStates           []*tensor.Tensor // L+1 tensors (B, S, H); [0] is the embedding output
	Attentions             []*tensor.Tensor // L tensors (B, heads, S, S)
}

// New builds a randomly initialised model for head (HeadBase, HeadSeqCls,
// HeadTokenCls, HeadQA or HeadMLM), as HF's _init_weights does: Linear and
// Embedding weights N(0, initializer_range), biases 0, the padding row of the
// word embeddings 0, LayerNorm weight 1 and bias 0. seed fixes the initial
// weights.
func New(cfg *Config, head string, seed uint64) (*Model, error) {
	if err := CheckHead(head); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := build(cfg, head)
	m.initAll(seed)
	return m, nil
}

// build allocates the module tree with zero tensors.
func build(cfg *Config, head string) *Model {
	h, eps := cfg.HiddenSize, cfg.LayerNormEps
	hd := float32(cfg.HiddenDropoutProb)
	emb := &BertEmbeddings{
		WordEmbeddings:      newEmbedding(cfg.VocabSize, h, cfg.PadTokenID),
		PositionEmbeddings:  newEmbedding(cfg.MaxPositionEmbeddings, h, -1),
		TokenTypeEmbeddings: newEmbedding(cfg.TypeVocabSize, h, -1),
		LayerNorm:           newLayerNorm(h, eps),
		Dropout:             hd,
	}
	enc := &BertEncoder{}
	for i := 0; i < cfg.NumHiddenLayers; i++ {
		enc.Layers = append(enc.Layers, &BertLayer{
			Attention: &BertAttention{
				Self: &BertSelfAttention{
					Query: newLinear(h, h), Key: newLinear(h, h), Value: newLinear(h, h),
					NumHeads: cfg.NumAttentionHeads, Dropout: float32(cfg.AttentionProbsDropoutProb),
				},
				Output: &BertSelfOutput{Dense: newLinear(h, h), LayerNorm: newLayerNorm(h, eps), Dropout: hd},
			},
			Intermediate: &BertIntermediate{Dense: newLinear(h, cfg.IntermediateSize), Act: cfg.HiddenAct},
			Output:       &BertOutput{Dense: newLinear(cfg.IntermediateSize, h), LayerNorm: newLayerNorm(h, eps), Dropout: hd},
		})
	}
	m := &Model{Config: cfg, Head: head, Bert: &BertModel{Embeddings: emb, Encoder: enc}}
	if hasPooler(head) {
		m.Bert.Pooler = &BertPooler{Dense: newLinear(h, h)}
	}
	cd := float32(cfg.ClassifierDropoutProb())
	switch head {
	case HeadSeqCls:
		m.SeqCls = &BertForSequenceClassification{Classifier: newLinear(h, cfg.NumLabels), Dropout: cd, NumLabels: cfg.NumLabels, ProblemType: cfg.ProblemType}
	case HeadTokenCls:
		m.TokenCls = &BertForTokenClassification{Classifier: newLinear(h, cfg.NumLabels), Dropout: cd, NumLabels: cfg.NumLabels}
	case HeadQA:
		// Always 2 outputs (start, end), whatever num_labels says.
		m.QA = &BertForQuestionAnswering{QAOutputs: newLinear(h, 2)}
	case HeadMLM:
		m.MLM = &BertForMaskedLM{
			Transform: &BertPredictionHeadTransform{Dense: newLinear(h, h), Act: cfg.HiddenAct, LayerNorm: newLayerNorm(h, eps)},
			Bias:      tensor.Zeros(cfg.VocabSize),
			Decoder:   emb.WordEmbeddings.Weight,
			VocabSize: cfg.VocabSize,
		}
	}
	for _, p := range m.Params() {
		p.T.SetRequiresGrad(true)
	}
	return m
}

// Params returns every trainable parameter with its HF state-dict key, in
// HF named_parameters() order. The tied MLM decoder weight appears once, as
// bert.embeddings.word_embeddings.weight.
func (m *Model) Params() []Param {
	ps := m.Bert.Params(bertPrefix)
	switch {
	case m.SeqCls != nil:
		ps = append(ps, m.SeqCls.params()...)
	case m.TokenCls != nil:
		ps = append(ps, m.TokenCls.params()...)
	case m.QA != nil:
		ps = append(ps, m.QA.params()...)
	case m.MLM != nil:
		ps = append(ps, m.MLM.params()...)
	}
	return ps
}

// NumParams counts the trainable scalars (by shape, so the weights an int8
// model holds as int8 count too).
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.Params() {
		k := 1
		for _, d := range p.T.Shape {
			k *= d
		}
		n += k
	}
	return n
}

// ZeroGrad zeroes every parameter gradient.
func (m *Model) ZeroGrad() {
	for _, p := range m.Params() {
		p.T.ZeroGrad()
	}
}

// Forward runs the model on a batch. With labels it also computes the head's
// loss. Invalid input (ids outside the vocabulary, sequences longer than
// max_position_embeddings, wrong lengths, bad labels) is an error, never a
// panic.
func (m *Model) Forward(in *Input, labels *Labels, opt Options) (*Output, error) {
	r, err := m.prepare(in, opt)
	if err != nil {
		return nil, err
	}
	t := m.Bert.forward(r, in, opt)
	out := &Output{LastHiddenState: t.last, PooledOutput: t.pooled, HiddenStates: t.hidden, Attentions: t.attentions}
	switch {
	case m.SeqCls != nil:
		err = m.SeqCls.forward(r, t, labels, out)
	case m.TokenCls != nil:
		err = m.TokenCls.forward(r, t, labels, out)
	case m.QA != nil:
		err = m.QA.forward(r, t, labels, out)
	case m.MLM != nil:
		err = m.MLM.forward(r, t, labels, out)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// prepare validates the input and derives the per-run vectors.
func (m *Model) prepare(in *Input, opt Options) (*run, error) {
	c := m.Config
	if in == nil || in.Batch <= 0 || in.Seq <= 0 {
		return nil, fmt.Errorf("input: batch and sequence length must be positive")
	}
	n := in.Batch * in.Seq
	if in.Seq > c.MaxPositionEmbeddings {
		return nil, fmt.Errorf("input_ids: sequence length %d exceeds max_position_embeddings %d", in.Seq, c.MaxPositionEmbeddings)
	}
	if in.InputsEmbeds != nil {
		if in.InputsEmbeds.Size() != n*c.HiddenSize {
			return nil, fmt.Errorf("inputs_embeds: shape %v, want batch %d × seq %d × hidden %d", in.InputsEmbeds.Shape, in.Batch, in.Seq, c.HiddenSize)
		}
	} else if len(in.InputIDs) != n {
		return nil, fmt.Errorf("input_ids: got %d ids, want batch %d × seq %d", len(in.InputIDs), in.Batch, in.Seq)
	}
	for i, id := range in.InputIDs {
		if id < 0 || id >= c.VocabSize {
			return nil, fmt.Errorf("input_ids: id %d at [%d, %d] is outside the vocabulary [0, %d)", id, i/in.Seq, i%in.Seq, c.VocabSize)
		}
	}
	if opt.PooledOnly {
		switch {
		case m.Bert.Pooler == nil:
			return nil, fmt.Errorf("pooled-only forward: this %s model has no pooler", m.Head)
		case opt.Grad || opt.Dropout != nil || opt.HiddenStates || opt.Attentions:
			return nil, fmt.Errorf("pooled-only forward is for inference: it cannot record a graph, apply dropout or return hidden states or attentions")
		case len(m.Bert.Encoder.Layers) == 0:
			return nil, fmt.Errorf("pooled-only forward: the model has no layers")
		}
	}
	if m.packed && (opt.Grad || opt.Dropout != nil) {
		return nil, fmt.Errorf("a model packed for inference cannot train: load it again without packing")
	}
	if m.quant != nil && (opt.Grad || opt.Dropout != nil || (in.InputsEmbeds != nil && in.InputsEmbeds.RequiresGrad())) {
		return nil, fmt.Errorf("an int8 model is for inference only: run it without grad, dropout or gradients to its inputs (use the float32 model)")
	}
	r := &run{batch: in.Batch, seq: in.Seq, grad: opt.Grad, rng: opt.Dropout, attentions: opt.Attentions}
	r.positions = make([]int, in.Seq)
	for i := range r.positions {
		r.positions[i] = i
	}
	if in.TokenTypeIDs != nil {
		if len(in.TokenTypeIDs) != n {
			return nil, fmt.Errorf("token_type_ids: got %d, want %d", len(in.TokenTypeIDs), n)
		}
		for i, t := range in.TokenTypeIDs {
			if t < 0 || t >= c.TypeVocabSize {
				return nil, fmt.Errorf("token_type_ids: %d at [%d, %d] is outside [0, %d)", t, i/in.Seq, i%in.Seq, c.TypeVocabSize)
			}
		}
		r.tokenTypes = in.TokenTypeIDs
	} else {
		r.tokenTypes = make([]int, n)
	}
	if in.AttentionMask != nil {
		if len(in.AttentionMask) != n {
			return nil, fmt.Errorf("attention_mask: got %d, want %d", len(in.AttentionMask), n)
		}
		r.maskAdd = make([]float32, n)
		for i, v := range in.AttentionMask {
			switch v {
			case 1:
			case 0:
				r.maskAdd[i] = maskMin // (1 - mask) · finfo(float32).min
			default:
				return nil, fmt.Errorf("attention_mask: value %d at [%d, %d] is not 0 or 1", v, i/in.Seq, i%in.Seq)
			}
		}
	}
	return r, nil
}

// initAll draws every parameter in Params() order from one seeded stream.
func (m *Model) initAll(seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	for _, p := range m.Params() {
		initParam(m.Config, p, rng)
	}
}

// initParam sets one parameter as HF BertPreTrainedModel._init_weights does.
func initParam(cfg *Config, p Param, rng *rand.Rand) {
	d := p.T.Data
	switch {
	case hasSuffix(p.Name, "LayerNorm.weight"):
		for i := range d {
			d[i] = 1
		}
	case hasSuffix(p.Name, ".bias"):
		clear(d)
	default: // Linear and Embedding weights
		std := cfg.InitializerRange
		for i := range d {
			d[i] = float32(rng.NormFloat64() * std)
		}
		if p.Name == keyWordEmb && cfg.PadTokenID >= 0 {
			h := p.T.Shape[1]
			clear(d[cfg.PadTokenID*h : (cfg.PadTokenID+1)*h])
		}
	}
}

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }
