// Package card writes a model card for a fine-tuned classifier: what the
// model is for (decision support, never an autonomous diagnosis), what it
// was trained on and how, how well it does overall and per patient
// subgroup with bootstrap confidence intervals, how well calibrated it
// is, and what its known limits are — as Markdown with SVG charts beside
// it (confusion matrix, reliability diagram, ROC and PR curves,
// per-subgroup bars, training-loss curve), for a review board to read.
//
// It takes plain values (labels, predictions, the training log) and knows
// nothing of the engine, so it can describe any classifier.
package card

import (
	"fmt"
	"time"

	"github.com/medbert/medbert/metrics"
)

// Statement is the intended-use sentence every card carries.
const Statement = "This model is clinical decision support: its outputs are suggestions for review by a qualified clinician, never an autonomous diagnosis, and must not be used as the sole basis of a clinical decision."

// Input is everything a card describes; only Name and Labels are required.
type Input struct {
	Name   string // model folder or registry name
	SHA256 string // model identity (config + weights)
	Task   string // e.g. "sequence classification"
	Labels []string
	// BaseModel names the checkpoint fine-tuning started from, or "" for a
	// model trained from a random initialisation.
	BaseModel    string
	Architecture []Fact // e.g. layers, hidden size, parameters
	Training     *Training
	Eval         *Eval
	// Limits are known limits stated by the author; the card adds the ones
	// it can see in the numbers (small test set, rare classes, truncation).
	Limits []string
	// Date is when the card was written (default: now, UTC).
	Date time.Time
}

// Fact is one named value of a table.
type Fact struct {
	Name, Value string
}

// Training describes how the model was trained.
type Training struct {
	Data            []Fact     // e.g. file names, sizes, splits
	ClassCounts     []int      // training examples per label, Labels order
	TruncationRate  float64    // fraction of training examples cut to MaxLength (−1: unknown)
	MaxLength       int        // tokens per example
	Deidentified    *bool      // whether de-identification was applied (nil: not recorded)
	Hyperparameters []Fact     // learning rate, epochs, batch, seed, ...
	Loss            []Point    // training loss per logging step
	EvalLoss        []Point    // evaluation loss per evaluation
	Extra           []Fact     // anything else worth stating
	Started, Ended  *time.Time // optional
}

// Point is one (step, value) of a curve.
type Point struct {
	Step  float64
	Value float64
}

// Eval is a labelled evaluation of the model: the true class and the
// predicted probabilities of every example, and optional group fields for
// the subgroup audit (one value per example; never identifiers).
type Eval struct {
	Split  string // e.g. "held-out test split (573 abstracts)"
	YTrue  []int
	Probs  [][]float64
	Groups []metrics.GroupField
	// MinGroupSize below which a subgroup is reported but not judged
	// (default metrics.DefaultMinGroupSize).
	MinGroupSize int
	// Bootstrap resamples for the confidence intervals (default 1000) and
	// their seed (results depend only on it).
	BootstrapReps int
	Seed          uint64
}

// Card is a computed model card: the Markdown text and the SVG files it
// refers to (by file name, relative to the card).
type Card struct {
	Markdown []byte
	Figures  map[string][]byte // file name -> SVG
	// The numbers behind the text (nil without an evaluation).
	Report    *metrics.Report
	Intervals []metrics.MetricInterval
	Subgroups *metrics.SubgroupAudit
	Bins      []metrics.CalibrationBin
}

// FigureDir is the folder, beside the card, that holds its figures.
const FigureDir = "card_figures"

// Build computes the card's numbers and charts and renders it.
func Build(in Input) (*Card, error) {
	if in.Name == "" {
		return nil, fmt.Errorf("card: the model needs a name")
	}
	if len(in.Labels) < 2 {
		return nil, fmt.Errorf("card: a classifier needs at least 2 labels, got %d", len(in.Labels))
	}
	if in.Date.IsZero() {
		in.Date = time.Now().UTC()
	}
	c := &Card{Figures: map[string][]byte{}}
	if e := in.Eval; e != nil {
		if err := c.evaluate(in.Labels, e); err != nil {
			return nil, err
		}
	}
	if err := c.trainingFigures(in); err != nil {
		return nil, err
	}
	c.Markdown = render(in, c)
	return c, nil
}
