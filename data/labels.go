package data

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Labels is a label vocabulary: class id i ↔ name Names()[i]. It becomes
// config.json's id2label/label2id.
type Labels struct {
	names []string
	index map[string]int
}

// NewLabels makes a vocabulary with the given id order (e.g. read back
// from a checkpoint's id2label).
func NewLabels(names []string) (*Labels, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("no labels")
	}
	l := &Labels{names: append([]string(nil), names...), index: make(map[string]int, len(names))}
	for i, n := range names {
		if n == "" {
			return nil, fmt.Errorf("label %d is empty", i)
		}
		if _, dup := l.index[n]; dup {
			return nil, fmt.Errorf("label %q listed twice", n)
		}
		l.index[n] = i
	}
	return l, nil
}

// SortLabels sorts label names the way BuildLabels does: numerically when
// every name is an integer ("2" before "10"), otherwise by byte order.
// The order depends only on the set of names, never on file order, so the
// same training data always gives the same ids.
func SortLabels(names []string) {
	numeric := true
	for _, n := range names {
		if _, err := strconv.ParseInt(n, 10, 64); err != nil {
			numeric = false
			break
		}
	}
	if numeric {
		sort.Slice(names, func(i, j int) bool {
			a, _ := strconv.ParseInt(names[i], 10, 64)
			b, _ := strconv.ParseInt(names[j], 10, 64)
			return a < b
		})
		return
	}
	sort.Strings(names)
}

// BuildLabels collects the distinct labels of the training examples,
// sorted by SortLabels. It fails when no example has a label.
func BuildLabels(train []Example) (*Labels, error) {
	seen := map[string]bool{}
	var names []string
	for _, e := range train {
		if e.Label != "" && !seen[e.Label] {
			seen[e.Label] = true
			names = append(names, e.Label)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("training data has no labels")
	}
	SortLabels(names)
	return NewLabels(names)
}

// maxShownLabel is the longest label value an error message shows. Class
// names are shown as reports and config.json show them; a longer value is
// most likely text read from the wrong column and is not shown.
const maxShownLabel = 40

// className quotes a label for a message, or describes it when it is too
// long to be a class name.
func className(s string) string {
	if len(s) > maxShownLabel || strings.ContainsAny(s, "\n\r\t") {
		return fmt.Sprintf("a %d-byte label", len(s))
	}
	return fmt.Sprintf("%q", s)
}

// listed is " (a, b, c)" for up to 20 short class names, else "".
func (l *Labels) listed() string {
	if len(l.names) > 20 {
		return ""
	}
	parts := make([]string, len(l.names))
	for i, n := range l.names {
		if len(n) > maxShownLabel {
			return ""
		}
		parts[i] = fmt.Sprintf("%q", n)
	}
	return " [" + strings.Join(parts, " ") + "]"
}

// CheckClasses refuses a training set whose examples all carry one label:
// a classifier trained on it learns nothing and predicts that class for
// every input. The message counts the examples, never names the label.
func CheckClasses(train []Example) error {
	first, n := "", 0
	for _, e := range train {
		if e.Label == "" {
			continue
		}
		if n > 0 && e.Label != first {
			return nil
		}
		first = e.Label
		n++
	}
	if n == 0 {
		return fmt.Errorf("training data has no labels")
	}
	return fmt.Errorf("training data has one class: all %d examples carry the same label, so there is nothing to learn (check --label-column, or the file's labels)", n)
}

// BuildTagLabels collects the distinct tags of NER sentences (sorted, so
// B-Disease, I-Disease, O), like HF run_ner's get_label_list.
func BuildTagLabels(train []Sentence) (*Labels, error) {
	seen := map[string]bool{}
	var names []string
	for _, s := range train {
		for _, t := range s.Tags {
			if !seen[t] {
				seen[t] = true
				names = append(names, t)
			}
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("training data has no tags")
	}
	SortLabels(names)
	return NewLabels(names)
}

// LabelsFromID2Label reads config.json's id2label ({"0": "neg", ...}).
// Ids must be exactly 0..n-1.
func LabelsFromID2Label(m map[string]string) (*Labels, error) {
	names := make([]string, len(m))
	for k, v := range m {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= len(m) {
			return nil, fmt.Errorf("id2label key %q is not an id in 0..%d", k, len(m)-1)
		}
		names[i] = v
	}
	return NewLabels(names)
}

// Len is the number of classes.
func (l *Labels) Len() int { return len(l.names) }

// Names returns the labels in id order (a copy).
func (l *Labels) Names() []string { return append([]string(nil), l.names...) }

// Name returns the label of id.
func (l *Labels) Name(id int) string { return l.names[id] }

// ID returns the id of a label.
func (l *Labels) ID(name string) (int, bool) {
	i, ok := l.index[name]
	return i, ok
}

// ID2Label is the config.json form: {"0": name0, ...}.
func (l *Labels) ID2Label() map[string]string {
	m := make(map[string]string, len(l.names))
	for i, n := range l.names {
		m[strconv.Itoa(i)] = n
	}
	return m
}

// Label2ID is the config.json form: {name0: 0, ...}.
func (l *Labels) Label2ID() map[string]int {
	m := make(map[string]int, len(l.names))
	for i, n := range l.names {
		m[n] = i
	}
	return m
}

// Encode maps every example's label to its id. A label the vocabulary
// does not know (say, a class that occurs only in the validation file) is
// an error naming the row.
func (l *Labels) Encode(ex []Example) ([]int, error) {
	ids := make([]int, len(ex))
	for i, e := range ex {
		id, ok := l.index[e.Label]
		if !ok {
			return nil, &RowError{e.Pos, "label", fmt.Errorf("%s is not one of the %d training labels%s (a class that occurs only in this file?)", className(e.Label), len(l.names), l.listed())}
		}
		ids[i] = id
	}
	return ids, nil
}
