package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/medbert/medbert/safetensors"
)

// ThresholdFile is the file in a model folder that holds a binary
// classifier's saved decision threshold (written by eval --save-threshold).
const ThresholdFile = "medbert_threshold.json"

// Threshold is a binary classifier's operating point: predict Label when
// its probability is >= Value, else the other label. It is saved next to
// the weights so that every later prediction (predict, serve, a Go
// program through Load) decides the same way, and it records how it was
// chosen so a reader can judge it.
type Threshold struct {
	Label string  `json:"label"` // the positive label
	Value float64 `json:"value"` // in [0, 1]
	// TargetRecall is the recall of Label the threshold was chosen for
	// (nil: given by hand).
	TargetRecall *float64 `json:"target_recall,omitempty"`
	// Recall and Precision are what it achieved on Data (nil: unknown).
	Recall    *float64 `json:"recall,omitempty"`
	Precision *float64 `json:"precision,omitempty"`
	// Data names the file it was chosen on (base name only) and Examples
	// how many rows that file held.
	Data     string `json:"data,omitempty"`
	Examples int    `json:"examples,omitempty"`
}

// Check validates a threshold against a model's labels: a binary model,
// a known label and a value in [0, 1].
func (t *Threshold) Check(labels []string) error {
	if len(labels) != 2 {
		return fmt.Errorf("a decision threshold needs a binary model; this one has %d labels", len(labels))
	}
	if t.Label != labels[0] && t.Label != labels[1] {
		return fmt.Errorf("threshold label %q is not one of the model's labels %q", t.Label, labels)
	}
	if math.IsNaN(t.Value) || t.Value < 0 || t.Value > 1 {
		return fmt.Errorf("threshold %v outside [0, 1]", t.Value)
	}
	return nil
}

// LoadThreshold reads dir's ThresholdFile; (nil, nil) when there is none.
// Errors name the file, never a data value.
func LoadThreshold(dir string) (*Threshold, error) {
	return loadThresholdFS(os.DirFS(dir), dir)
}

// loadThresholdFS is LoadThreshold for a folder served by fsys (an
// encrypted folder decrypted in memory); dir names it in errors.
func loadThresholdFS(fsys fs.FS, dir string) (*Threshold, error) {
	path := filepath.Join(dir, ThresholdFile)
	b, err := fs.ReadFile(fsys, ThresholdFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var t Threshold
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: want {\"label\": ..., \"value\": P}: %w", path, err)
	}
	if t.Label == "" {
		return nil, fmt.Errorf("%s: no \"label\"", path)
	}
	return &t, nil
}

// SaveThreshold writes t as dir's ThresholdFile, atomically.
func SaveThreshold(dir string, t Threshold) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	return safetensors.WriteAtomic(filepath.Join(dir, ThresholdFile), func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// Decide applies a binary threshold to a classification: Label becomes
// t.Label when its probability is >= t.Value and the other label
// otherwise; Score is the chosen label's probability, and Threshold
// records t. With t nil, c is returned unchanged (argmax).
func (c Classification) Decide(t *Threshold) Classification {
	if t == nil || len(c.Labels) != 2 {
		return c
	}
	pos := 0
	if c.Labels[1] == t.Label {
		pos = 1
	}
	pick := 1 - pos
	if c.Scores[pos] >= t.Value {
		pick = pos
	}
	c.Label, c.Score, c.Threshold = c.Labels[pick], c.Scores[pick], t
	return c
}

// ParseThreshold reads a threshold given by hand: "P" (a probability of
// the positive label: def's label when def is given, else the second
// label, id 1) or "LABEL:P". With labels nil only the syntax and range are
// checked (before a model is loaded); otherwise the result is checked
// against them.
func ParseThreshold(s string, labels []string, def *Threshold) (*Threshold, error) {
	t := &Threshold{}
	num := s
	if i := strings.LastIndex(s, ":"); i >= 0 {
		t.Label, num = s[:i], s[i+1:]
		if t.Label == "" {
			return nil, fmt.Errorf("threshold %q: empty label before ':'", s)
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > 1 {
		return nil, fmt.Errorf("threshold %q: want a probability P in [0, 1] or LABEL:P", s)
	}
	t.Value = v
	if labels == nil {
		return t, nil
	}
	if t.Label == "" {
		switch {
		case def != nil:
			t.Label = def.Label
		case len(labels) == 2:
			t.Label = labels[1]
		}
	}
	if err := t.Check(labels); err != nil {
		return nil, err
	}
	return t, nil
}
