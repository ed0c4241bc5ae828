// Package bert implements the Hugging Face transformers BERT model family
// (BertModel and the sequence-classification, token-classification,
// question-answering and masked-LM heads) on top of package tensor, with
// loading and saving of HF checkpoint folders.
//
// The numerics follow transformers' modeling_bert.py (eager attention path):
// post-LN sub-layers, erf GELU, additive attention mask with float32 min,
// tanh pooler, MLM decoder tied to the word embeddings.
package bert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"sort"
	"strconv"
)

// Problem types of BertForSequenceClassification, as in HF config.problem_type.
const (
	ProblemSingleLabel = "single_label_classification"
	ProblemMultiLabel  = "multi_label_classification"
	ProblemRegression  = "regression"
)

// Activation names accepted for hidden_act (HF ACT2FN keys we implement).
const (
	ActGELU     = "gelu"              // exact erf GELU
	ActGELUNew  = "gelu_new"          // tanh approximation (GPT-2 style)
	ActGELUTanh = "gelu_pytorch_tanh" // same formula as gelu_new
	ActReLU     = "relu"
)

// Config mirrors HF transformers' BertConfig as stored in config.json.
// Unknown fields are kept in Extra and written back by Save, so a round trip
// does not lose e.g. "transformers_version" or "gradient_checkpointing".
type Config struct {
	VocabSize                 int
	HiddenSize                int
	NumHiddenLayers           int
	NumAttentionHeads         int
	IntermediateSize          int
	HiddenAct                 string
	HiddenDropoutProb         float64
	AttentionProbsDropoutProb float64
	MaxPositionEmbeddings     int
	TypeVocabSize             int
	InitializerRange          float64
	LayerNormEps              float64
	// PadTokenID is the embedding padding_idx; -1 means none (JSON null).
	PadTokenID            int
	PositionEmbeddingType string
	// ClassifierDropout is nil when the config says null: the heads then use
	// HiddenDropoutProb, as HF does.
	ClassifierDropout *float64
	Architectures     []string
	ModelType         string
	ProblemType       string
	// NumLabels is len(ID2Label) when id2label is present (HF semantics),
	// else num_labels, else 2.
	NumLabels int
	ID2Label  map[int]string
	Label2ID  map[string]int

	// Extra holds every field this package does not interpret, verbatim.
	Extra map[string]json.RawMessage
	// Warnings lists non-fatal oddities found while parsing (e.g. num_labels
	// disagreeing with id2label), phrased for a log line.
	Warnings []string
}

// knownFields are the config.json keys Config interprets.
var knownFields = map[string]bool{
	"vocab_size": true, "hidden_size": true, "num_hidden_layers": true, "num_attention_heads": true,
	"intermediate_size": true, "hidden_act": true, "hidden_dropout_prob": true,
	"attention_probs_dropout_prob": true, "max_position_embeddings": true, "type_vocab_size": true,
	"initializer_range": true, "layer_norm_eps": true, "pad_token_id": true,
	"position_embedding_type": true, "classifier_dropout": true, "architectures": true,
	"model_type": true, "problem_type": true, "num_labels": true, "id2label": true, "label2id": true,
}

// DefaultConfig returns HF BertConfig's defaults (bert-base-uncased shape)
// with two labels.
func DefaultConfig() *Config {
	c := &Config{
		VocabSize: 30522, HiddenSize: 768, NumHiddenLayers: 12, NumAttentionHeads: 12,
		IntermediateSize: 3072, HiddenAct: ActGELU, HiddenDropoutProb: 0.1,
		AttentionProbsDropoutProb: 0.1, MaxPositionEmbeddings: 512, TypeVocabSize: 2,
		InitializerRange: 0.02, LayerNormEps: 1e-12, PadTokenID: 0,
		PositionEmbeddingType: "absolute", ModelType: "bert",
	}
	c.SetNumLabels(2)
	return c
}

// LoadConfig reads and validates an HF config.json. Errors name the file and
// the offending field.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist (a model folder needs the Hugging Face config.json)", path)
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already in the message
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ParseConfig(b, path)
}

// ParseConfig parses config.json bytes; name is used in error messages.
func ParseConfig(data []byte, name string) (*Config, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: not a JSON object: %v", name, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("%s: not a JSON object", name)
	}
	p := &parser{raw: raw, name: name}
	d := DefaultConfig()
	c := &Config{Extra: map[string]json.RawMessage{}}
	// Shape fields have HF defaults, but a config without them almost always
	// means the wrong file; silently building bert-base would hide that.
	c.VocabSize = p.int("vocab_size", true, 0)
	c.HiddenSize = p.int("hidden_size", true, 0)
	c.NumHiddenLayers = p.int("num_hidden_layers", true, 0)
	c.NumAttentionHeads = p.int("num_attention_heads", true, 0)
	c.IntermediateSize = p.int("intermediate_size", true, 0)
	c.MaxPositionEmbeddings = p.int("max_position_embeddings", true, 0)
	c.TypeVocabSize = p.int("type_vocab_size", false, d.TypeVocabSize)
	c.HiddenAct = p.str("hidden_act", d.HiddenAct)
	c.HiddenDropoutProb = p.float("hidden_dropout_prob", d.HiddenDropoutProb)
	c.AttentionProbsDropoutProb = p.float("attention_probs_dropout_prob", d.AttentionProbsDropoutProb)
	c.InitializerRange = p.float("initializer_range", d.InitializerRange)
	c.LayerNormEps = p.float("layer_norm_eps", d.LayerNormEps)
	c.PadTokenID = p.intOrNull("pad_token_id", d.PadTokenID)
	c.PositionEmbeddingType = p.str("position_embedding_type", d.PositionEmbeddingType)
	if _, ok := raw["classifier_dropout"]; ok && !p.isNull("classifier_dropout") {
		v := p.float("classifier_dropout", 0)
		c.ClassifierDropout = &v
	}
	c.Architectures = p.strList("architectures")
	c.ModelType = p.str("model_type", "")
	c.ProblemType = p.strOrNull("problem_type")
	p.labels(c)
	// HF builds a decoder BERT (causal self-attention, cross-attention)
	// from these; this engine is encoder-only, and ignoring them would give
	// different numbers without a word. false (the default) is fine.
	for _, f := range []string{"is_decoder", "add_cross_attention"} {
		if v, ok := raw[f]; ok && string(bytes.TrimSpace(v)) == "true" {
			p.fail(f, "true is not supported: medbert runs BERT encoders (a decoder uses causal or cross attention)")
		}
	}
	for k, v := range raw {
		if !knownFields[k] {
			c.Extra[k] = v
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	if err := c.validate(name); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks the config's values for consistency.
func (c *Config) Validate() error { return c.validate("config") }

func (c *Config) validate(name string) error {
	pos := []struct {
		field string
		v     int
	}{
		{"vocab_size", c.VocabSize}, {"hidden_size", c.HiddenSize},
		{"num_hidden_layers", c.NumHiddenLayers}, {"num_attention_heads", c.NumAttentionHeads},
		{"intermediate_size", c.IntermediateSize}, {"max_position_embeddings", c.MaxPositionEmbeddings},
		{"type_vocab_size", c.TypeVocabSize},
	}
	for _, f := range pos {
		if f.v <= 0 {
			return fmt.Errorf("%s: field %q must be a positive integer, got %d", name, f.field, f.v)
		}
		// Guard against absurd sizes that would overflow allocations.
		if f.v > 1<<24 {
			return fmt.Errorf("%s: field %q = %d is implausibly large", name, f.field, f.v)
		}
	}
	if c.HiddenSize%c.NumAttentionHeads != 0 {
		return fmt.Errorf("%s: hidden_size %d is not a multiple of num_attention_heads %d", name, c.HiddenSize, c.NumAttentionHeads)
	}
	switch c.HiddenAct {
	case ActGELU, ActGELUNew, ActGELUTanh, ActReLU:
	default:
		return fmt.Errorf("%s: field \"hidden_act\": unsupported activation %q (supported: gelu, gelu_new, gelu_pytorch_tanh, relu)", name, c.HiddenAct)
	}
	if c.PositionEmbeddingType != "absolute" {
		return fmt.Errorf("%s: field \"position_embedding_type\": only \"absolute\" is supported, got %q", name, c.PositionEmbeddingType)
	}
	if c.ModelType != "" && c.ModelType != "bert" {
		return fmt.Errorf("%s: field \"model_type\": %q is not a BERT model (want \"bert\")", name, c.ModelType)
	}
	probs := []struct {
		field string
		v     float64
	}{{"hidden_dropout_prob", c.HiddenDropoutProb}, {"attention_probs_dropout_prob", c.AttentionProbsDropoutProb}}
	if c.ClassifierDropout != nil {
		probs = append(probs, struct {
			field string
			v     float64
		}{"classifier_dropout", *c.ClassifierDropout})
	}
	for _, f := range probs {
		if !(f.v >= 0 && f.v < 1) {
			return fmt.Errorf("%s: field %q must be in [0, 1), got %v", name, f.field, f.v)
		}
	}
	if !(c.LayerNormEps > 0) || math.IsInf(c.LayerNormEps, 0) {
		return fmt.Errorf("%s: field \"layer_norm_eps\" must be positive, got %v", name, c.LayerNormEps)
	}
	if !(c.InitializerRange >= 0) || math.IsInf(c.InitializerRange, 0) {
		return fmt.Errorf("%s: field \"initializer_range\" must be >= 0, got %v", name, c.InitializerRange)
	}
	if c.PadTokenID < -1 || c.PadTokenID >= c.VocabSize {
		return fmt.Errorf("%s: field \"pad_token_id\" = %d is outside the vocabulary [0, %d)", name, c.PadTokenID, c.VocabSize)
	}
	switch c.ProblemType {
	case "", ProblemSingleLabel, ProblemMultiLabel, ProblemRegression:
	default:
		return fmt.Errorf("%s: field \"problem_type\": unknown value %q (want %s, %s or %s)", name, c.ProblemType, ProblemSingleLabel, ProblemMultiLabel, ProblemRegression)
	}
	if c.NumLabels <= 0 {
		return fmt.Errorf("%s: field \"num_labels\" must be positive, got %d", name, c.NumLabels)
	}
	for i := 0; i < c.NumLabels; i++ {
		if _, ok := c.ID2Label[i]; !ok {
			return fmt.Errorf("%s: field \"id2label\": labels must be numbered 0..%d, %d is missing", name, c.NumLabels-1, i)
		}
	}
	return nil
}

// HeadDim is hidden_size / num_attention_heads.
func (c *Config) HeadDim() int { return c.HiddenSize / c.NumAttentionHeads }

// ClassifierDropoutProb is the dropout the classification heads use:
// classifier_dropout when set, else hidden_dropout_prob (HF semantics).
func (c *Config) ClassifierDropoutProb() float64 {
	if c.ClassifierDropout != nil {
		return *c.ClassifierDropout
	}
	return c.HiddenDropoutProb
}

// SetNumLabels sets n labels named LABEL_0..LABEL_{n-1}, as HF does when a
// config gives num_labels without id2label.
func (c *Config) SetNumLabels(n int) {
	c.NumLabels = n
	c.ID2Label = make(map[int]string, n)
	c.Label2ID = make(map[string]int, n)
	for i := 0; i < n; i++ {
		l := "LABEL_" + strconv.Itoa(i)
		c.ID2Label[i] = l
		c.Label2ID[l] = i
	}
}

// SetLabels sets the label names in id order.
func (c *Config) SetLabels(names []string) {
	c.NumLabels = len(names)
	c.ID2Label = make(map[int]string, len(names))
	c.Label2ID = make(map[string]int, len(names))
	for i, l := range names {
		c.ID2Label[i] = l
		c.Label2ID[l] = i
	}
}

// Labels returns the label names in id order.
func (c *Config) Labels() []string {
	out := make([]string, c.NumLabels)
	for i := range out {
		out[i] = c.ID2Label[i]
	}
	return out
}

// Clone returns a deep copy.
func (c *Config) Clone() *Config {
	d := *c
	d.Architectures = append([]string(nil), c.Architectures...)
	d.Warnings = append([]string(nil), c.Warnings...)
	if c.ClassifierDropout != nil {
		v := *c.ClassifierDropout
		d.ClassifierDropout = &v
	}
	d.ID2Label = make(map[int]string, len(c.ID2Label))
	for k, v := range c.ID2Label {
		d.ID2Label[k] = v
	}
	d.Label2ID = make(map[string]int, len(c.Label2ID))
	for k, v := range c.Label2ID {
		d.Label2ID[k] = v
	}
	d.Extra = make(map[string]json.RawMessage, len(c.Extra))
	for k, v := range c.Extra {
		d.Extra[k] = append(json.RawMessage(nil), v...)
	}
	return &d
}

// MarshalJSON writes the config in HF's layout: sorted keys, id2label keys
// as strings of ints, unknown fields preserved.
func (c *Config) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(c.Extra)+24)
	for k, v := range c.Extra {
		m[k] = v
	}
	m["vocab_size"] = c.VocabSize
	m["hidden_size"] = c.HiddenSize
	m["num_hidden_layers"] = c.NumHiddenLayers
	m["num_attention_heads"] = c.NumAttentionHeads
	m["intermediate_size"] = c.IntermediateSize
	m["hidden_act"] = c.HiddenAct
	m["hidden_dropout_prob"] = c.HiddenDropoutProb
	m["attention_probs_dropout_prob"] = c.AttentionProbsDropoutProb
	m["max_position_embeddings"] = c.MaxPositionEmbeddings
	m["type_vocab_size"] = c.TypeVocabSize
	m["initializer_range"] = c.InitializerRange
	m["layer_norm_eps"] = c.LayerNormEps
	if c.PadTokenID >= 0 {
		m["pad_token_id"] = c.PadTokenID
	} else {
		m["pad_token_id"] = nil
	}
	m["position_embedding_type"] = c.PositionEmbeddingType
	m["classifier_dropout"] = c.ClassifierDropout
	if len(c.Architectures) > 0 {
		m["architectures"] = c.Architectures
	}
	mt := c.ModelType
	if mt == "" {
		mt = "bert"
	}
	m["model_type"] = mt
	if c.ProblemType != "" {
		m["problem_type"] = c.ProblemType
	}
	// HF writes id2label/label2id and drops num_labels (derived on load); we
	// also write num_labels so older readers that look at it agree.
	id2 := make(map[string]string, len(c.ID2Label))
	for k, v := range c.ID2Label {
		id2[strconv.Itoa(k)] = v
	}
	m["id2label"] = id2
	m["label2id"] = c.Label2ID
	m["num_labels"] = c.NumLabels
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// parser decodes typed fields from the raw JSON map, remembering the first
// error so call sites stay linear.
type parser struct {
	raw  map[string]json.RawMessage
	name string
	err  error
}

func (p *parser) fail(field, format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("%s: field %q: %s", p.name, field, fmt.Sprintf(format, args...))
	}
}

func (p *parser) isNull(field string) bool {
	v, ok := p.raw[field]
	return ok && string(bytes.TrimSpace(v)) == "null"
}

func (p *parser) number(field string) (json.Number, bool) {
	v, ok := p.raw[field]
	if !ok {
		return "", false
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		p.fail(field, "invalid JSON")
		return "", false
	}
	n, ok = x.(json.Number)
	if !ok {
		p.fail(field, "want a number, got %s", bytes.TrimSpace(v))
		return "", false
	}
	return n, true
}

func (p *parser) int(field string, required bool, def int) int {
	if _, ok := p.raw[field]; !ok {
		if required {
			p.fail(field, "required field is missing")
		}
		return def
	}
	n, ok := p.number(field)
	if !ok {
		return def
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		// Accept integral floats such as 768.0 (some tools write them).
		f, ferr := n.Float64()
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			p.fail(field, "want an integer, got %s", n)
			return def
		}
		i = int64(f)
	}
	if i > math.MaxInt32 || i < math.MinInt32 {
		p.fail(field, "value %d out of range", i)
		return def
	}
	return int(i)
}

func (p *parser) intOrNull(field string, def int) int {
	if p.isNull(field) {
		return -1
	}
	return p.int(field, false, def)
}

func (p *parser) float(field string, def float64) float64 {
	n, ok := p.number(field)
	if !ok {
		return def
	}
	f, err := n.Float64()
	if err != nil {
		p.fail(field, "want a number, got %s", n)
		return def
	}
	return f
}

func (p *parser) str(field, def string) string {
	v, ok := p.raw[field]
	if !ok {
		return def
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		p.fail(field, "want a string, got %s", bytes.TrimSpace(v))
		return def
	}
	return s
}

func (p *parser) strOrNull(field string) string {
	if p.isNull(field) {
		return ""
	}
	return p.str(field, "")
}

func (p *parser) strList(field string) []string {
	v, ok := p.raw[field]
	if !ok || p.isNull(field) {
		return nil
	}
	var s []string
	if err := json.Unmarshal(v, &s); err != nil {
		p.fail(field, "want a list of strings, got %s", bytes.TrimSpace(v))
	}
	return s
}

// labels applies HF PretrainedConfig semantics: id2label (keys are strings
// of ints) wins over num_labels; num_labels alone gives LABEL_i names;
// neither gives 2 labels. label2id is taken as given when present and
// consistent, else rebuilt from id2label.
func (p *parser) labels(c *Config) {
	_, hasN := p.raw["num_labels"]
	n := 2
	if hasN {
		n = p.int("num_labels", false, 2)
	}
	v, hasID := p.raw["id2label"]
	if !hasID || p.isNull("id2label") {
		if n <= 0 {
			p.fail("num_labels", "must be positive, got %d", n)
			return
		}
		c.SetNumLabels(n)
	} else {
		var m map[string]string
		if err := json.Unmarshal(v, &m); err != nil {
			p.fail("id2label", "want an object mapping label ids to names: %v", err)
			return
		}
		if len(m) == 0 {
			p.fail("id2label", "is empty")
			return
		}
		c.ID2Label = make(map[int]string, len(m))
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 {
				p.fail("id2label", "key %q is not a non-negative integer", k)
				return
			}
			c.ID2Label[i] = m[k]
		}
		c.NumLabels = len(c.ID2Label)
		if hasN && n != c.NumLabels {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: num_labels %d disagrees with id2label (%d entries); using id2label", p.name, n, c.NumLabels))
		}
		c.Label2ID = make(map[string]int, len(c.ID2Label))
		for i, l := range c.ID2Label {
			c.Label2ID[l] = i
		}
	}
	if lv, ok := p.raw["label2id"]; ok && !p.isNull("label2id") {
		var m map[string]int
		if err := json.Unmarshal(lv, &m); err != nil {
			p.fail("label2id", "want an object mapping label names to ids: %v", err)
			return
		}
		consistent := len(m) == len(c.ID2Label)
		for l, i := range m {
			if c.ID2Label[i] != l {
				consistent = false
			}
		}
		if !consistent {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: label2id disagrees with id2label; rebuilt from id2label", p.name))
		}
	}
}
