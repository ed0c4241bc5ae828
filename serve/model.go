package serve

import (
	"context"
	"github.com/medbert/medbert/explain"
	"time"
)

// Classifier is a loaded sequence-classification model as the server needs
// it. Classify must be safe for concurrent use, although the server calls
// it from one goroutine per model (the micro-batcher).
type Classifier interface {
	// Info describes the model; it must not change after the server starts.
	Info() ModelInfo
	// Classify scores a batch of inputs, one Result per input in order.
	// It should stop early and return ctx.Err() when ctx is done. Its
	// errors are logged, so they must not quote input text.
	Classify(ctx context.Context, inputs []Input) ([]Result, error)
}

// ModelInfo is what GET /v1/models shows and what audit records carry.
type ModelInfo struct {
	Name      string   // URL-safe name: [A-Za-z0-9._-]{1,64}
	Task      string   // e.g. "sequence-classification"
	Labels    []string // label names by class index
	SHA256    string   // model identity: hex sha256 over config + weights
	Int8      bool     // quantized Linear layers
	MaxLength int      // tokens per input after truncation
}

// Input is one text to classify, with an optional second segment for
// sentence-pair models.
type Input struct {
	Text     string
	TextPair string
}

// Result is the classifier's answer for one Input.
type Result struct {
	// Scores are softmax probabilities indexed like ModelInfo.Labels.
	Scores []float64
	// Truncated reports that the input was longer than MaxLength tokens
	// and was cut.
	Truncated bool
	// Tokens is the number of tokens the model ran on (0 when unknown);
	// it feeds the tokens-processed metric.
	Tokens int
}

// Auditor stores one record per decision. The server answers a request only
// after Record has returned for each of its decisions, so an auditor that
// syncs before returning (strict durability) guarantees that every answered
// decision is on disk; group syncing is the auditor's choice.
type Auditor interface {
	Record(ctx context.Context, d Decision) error
	// Close flushes and syncs what is buffered; the server calls it once,
	// after the last request has finished.
	Close() error
}

// Decision is one classified input as the audit trail records it.
type Decision struct {
	Time        time.Time
	RequestID   string
	Index       int    // position of the input in its request (0 for "text")
	Caller      string // identity of the authenticated caller, "" without auth
	Model       string
	ModelSHA256 string
	TextSHA256  string // hex sha256 of Input.Text, then 0x00, then Input.TextPair when present
	// Text and TextPair are set only when Config.AuditIncludeText is true.
	Text      string
	TextPair  string
	Labels    []string  // ModelInfo.Labels
	Scores    []float64 // by label index
	Truncated bool
	Latency   time.Duration // from request arrival to the decision
}

// Explainer is a Classifier that can attribute its answer for one input
// to the words of that input (POST /diagnose with "explain": true).
type Explainer interface {
	// Explain attributes the score of label index target for in. It
	// returns ErrNoExplanation when the model cannot (an int8 model).
	Explain(ctx context.Context, in Input, target int) (*explain.Explanation, error)
}

// ErrNoExplanation is what an Explainer returns for an input or model it
// cannot explain.
var ErrNoExplanation = errNoExplain
