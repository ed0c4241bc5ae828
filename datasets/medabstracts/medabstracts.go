// Package medabstracts embeds the Medical Abstracts Text Classification
// Corpus (Schopf, Braun & Matthes 2022; CC BY-SA 3.0, see LICENSE and
// README.md): 2,888 PubMed abstracts labelled with one of five disease
// classes. It is the default dataset of `medbert quickstart` and
// `medbert baseline`.
//
// Only the corpus's original *test* file is available to us, so medbert
// makes its own seeded, stratified 70/10/20 train/validation/test split of
// it (Split). Identical abstracts — the corpus stores multi-label abstracts
// as repeated rows with different labels — are kept in the same split, so
// no test abstract is ever seen in training.
package medabstracts

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/csv"
	"fmt"
	"strconv"

	"github.com/medbert/medbert/data"
)

var (
	//go:embed medical_tc_test.csv.gz
	abstractsGz []byte
	//go:embed medical_tc_labels.csv
	labelsCSV []byte
	// License is the CC BY-SA 3.0 licence text that must travel with the data.
	//go:embed LICENSE
	License string
)

// Source names the embedded file in positions and error messages.
const Source = "medical_tc_test.csv"

// Ratios is the split medbert uses: 70% train, 10% validation, 20% test.
var Ratios = data.Ratios{Train: 0.7, Validation: 0.1, Test: 0.2}

// DefaultSeed is the split seed used by quickstart and baseline.
const DefaultSeed = 42

// labelNames reads medical_tc_labels.csv (condition_label,condition_name)
// into names in id order: names[0] is label 1.
func labelNames() ([]string, error) {
	rows, err := csv.NewReader(bytes.NewReader(labelsCSV)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("medabstracts: medical_tc_labels.csv: %w", err)
	}
	if len(rows) < 2 || len(rows[0]) != 2 || rows[0][0] != "condition_label" {
		return nil, fmt.Errorf("medabstracts: medical_tc_labels.csv: unexpected header %q", rows[0])
	}
	names := make([]string, len(rows)-1)
	for i, r := range rows[1:] {
		id, err := strconv.Atoi(r[0])
		if err != nil || id != i+1 {
			return nil, fmt.Errorf("medabstracts: medical_tc_labels.csv:%d: label %q, want %d", i+2, r[0], i+1)
		}
		names[i] = r[1]
	}
	return names, nil
}

// Load returns all 2,888 abstracts in file order, with Label set to the
// class name (condition_label 1..5 mapped through medical_tc_labels.csv)
// and ID to the 1-based data row, plus the five class names in the
// corpus's id order (neoplasms, digestive system diseases, nervous system
// diseases, cardiovascular diseases, general pathological conditions).
// Use that slice as id2label; it is deliberately not re-sorted, so class
// ids match the corpus's label numbers minus one.
func Load() ([]data.Example, []string, error) {
	names, err := labelNames()
	if err != nil {
		return nil, nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(abstractsGz))
	if err != nil {
		return nil, nil, fmt.Errorf("medabstracts: embedded corpus: %w", err)
	}
	ex, sk, err := data.ParseExamples(zr, Source, data.Options{
		Format: data.FormatCSV, TextField: "medical_abstract", LabelField: "condition_label",
	})
	if err != nil {
		return nil, nil, fmt.Errorf("medabstracts: %w", err)
	}
	if sk.Count != 0 {
		return nil, nil, fmt.Errorf("medabstracts: %s", sk)
	}
	for i := range ex {
		id, err := strconv.Atoi(ex[i].Label)
		if err != nil || id < 1 || id > len(names) {
			return nil, nil, fmt.Errorf("medabstracts: %s: condition_label %q not in 1..%d", ex[i].Pos, ex[i].Label, len(names))
		}
		ex[i].Label = names[id-1]
		ex[i].ID = strconv.Itoa(i + 1)
	}
	return ex, names, nil
}

// Splits is the train/validation/test split of the corpus.
type Splits struct {
	Train, Validation, Test []data.Example
	Labels                  []string // id2label, as returned by Load
}

// Split loads the corpus and splits it 70/10/20, stratified by class, with
// data.SplitExamples (PCG seeded by seed; duplicates kept together).
// Split(DefaultSeed) is the split quickstart and baseline report on.
func Split(seed uint64) (*Splits, error) {
	ex, labels, err := Load()
	if err != nil {
		return nil, err
	}
	tr, va, te, err := data.SplitExamples(ex, Ratios, seed)
	if err != nil {
		return nil, err
	}
	return &Splits{Train: tr, Validation: va, Test: te, Labels: labels}, nil
}
