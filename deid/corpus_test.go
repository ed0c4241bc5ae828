package deid

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// corpusRow is one hand-labelled sentence of testdata/corpus.jsonl: PHI
// spans in code points and the clinical strings that must survive.
type corpusRow struct {
	ID   string   `json:"id"`
	Text string   `json:"text"`
	PHI  []Span   `json:"phi"`
	Keep []string `json:"keep"`
}

func loadCorpus(t testing.TB) []corpusRow {
	name := "testdata/corpus.jsonl"
	if e := os.Getenv("DEID_CORPUS"); e != "" {
		name = e
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []corpusRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r corpusRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("corpus line %d: %v", len(rows)+1, err)
		}
		rows = append(rows, r)
	}
	return rows
}

func overlaps(a, b Span) bool { return a.Start < b.End && b.Start < a.End }

// score is category-blind any-overlap matching, per gold type for recall.
type score struct {
	gold, found       map[Type]int
	predBy, okBy      map[Type]int // predicted spans and those overlapping gold, by predicted type
	pred, predCorrect int
	phiFree, touched  int
}

func scoreCorpus(t testing.TB, d *Detector, rows []corpusRow, verbose bool) score {
	sc := score{gold: map[Type]int{}, found: map[Type]int{}, predBy: map[Type]int{}, okBy: map[Type]int{}}
	for _, r := range rows {
		got := d.Detect(r.Text)
		runes := []rune(r.Text)
		for _, g := range r.PHI {
			sc.gold[g.Type]++
			hit := false
			for _, p := range got {
				if overlaps(g, p) {
					hit = true
				}
			}
			if hit {
				sc.found[g.Type]++
			} else if verbose {
				t.Logf("MISS %s %s %q in %q", r.ID, g.Type, string(runes[g.Start:g.End]), r.Text)
			}
		}
		for _, p := range got {
			sc.pred++
			ok := false
			for _, g := range r.PHI {
				if overlaps(g, p) {
					ok = true
				}
			}
			sc.predBy[p.Type]++
			if ok {
				sc.predCorrect++
				sc.okBy[p.Type]++
			} else if verbose {
				t.Logf("FP   %s %s %q in %q", r.ID, p.Type, string(runes[p.Start:p.End]), r.Text)
			}
		}
		if len(r.PHI) == 0 {
			sc.phiFree++
			if len(got) > 0 {
				sc.touched++
			}
		}
	}
	return sc
}

// TestCorpusRecall: every PHI type is found at least 95% of the time on
// the hand-labelled corpus, precision stays high, and PHI-free sentences
// are rarely touched.
func TestCorpusRecall(t *testing.T) {
	rows := loadCorpus(t)
	if len(rows) < 200 && os.Getenv("DEID_CORPUS") == "" {
		t.Fatalf("corpus has %d sentences, want >= 200", len(rows))
	}
	sc := scoreCorpus(t, New(Options{}), rows, os.Getenv("DEID_VERBOSE") != "")
	total, totalFound := 0, 0
	for _, ty := range Types {
		g, f := sc.gold[ty], sc.found[ty]
		total += g
		totalFound += f
		if g == 0 {
			t.Errorf("type %s has no example in the corpus", ty)
			continue
		}
		rec := float64(f) / float64(g)
		prec := 1.0
		if sc.predBy[ty] > 0 {
			prec = float64(sc.okBy[ty]) / float64(sc.predBy[ty])
		}
		t.Logf("%-9s gold %3d  recall %.3f  predicted %3d  precision %.3f", ty, g, rec, sc.predBy[ty], prec)
		if rec < 0.95 {
			t.Errorf("%s recall %.3f (%d/%d), want >= 0.95", ty, rec, f, g)
		}
	}
	prec := float64(sc.predCorrect) / float64(sc.pred)
	t.Logf("overall recall %.3f (%d/%d), precision %.3f (%d/%d), PHI-free sentences touched %d/%d",
		float64(totalFound)/float64(total), totalFound, total, prec, sc.predCorrect, sc.pred, sc.touched, sc.phiFree)
	if prec < 0.85 {
		t.Errorf("precision %.3f, want >= 0.85", prec)
	}
	if frac := float64(sc.touched) / float64(sc.phiFree); frac > 0.10 {
		t.Errorf("%.2f of PHI-free sentences touched, want <= 0.10", frac)
	}
}

// TestCorpusKeepsClinicalValues: no detected span overlaps a string the
// corpus marks as clinical content ("BP 120/80", "K 3.9", "Graves").
func TestCorpusKeepsClinicalValues(t *testing.T) {
	d := New(Options{})
	n := 0
	for _, r := range loadCorpus(t) {
		got := d.Detect(r.Text)
		for _, k := range r.Keep {
			bi := strings.Index(r.Text, k)
			if bi < 0 {
				t.Fatalf("%s: keep string %q not in text", r.ID, k)
			}
			ks := Span{Start: len([]rune(r.Text[:bi])), End: len([]rune(r.Text[:bi+len(k)]))}
			n++
			for _, p := range got {
				if overlaps(ks, p) {
					t.Errorf("%s: clinical %q overlaps detected %s span", r.ID, k, p.Type)
				}
			}
		}
	}
	if n < 40 {
		t.Fatalf("only %d keep strings checked", n)
	}
}

// TestCorpusSpansValid: the corpus labels themselves are sorted,
// non-overlapping and inside the text (a labelling error fails here).
func TestCorpusSpansValid(t *testing.T) {
	for _, r := range loadCorpus(t) {
		checkSpans(t, r.ID, r.Text, r.PHI)
		checkSpans(t, r.ID, r.Text, New(Options{}).Detect(r.Text))
	}
}

func checkSpans(t testing.TB, id, text string, spans []Span) {
	t.Helper()
	n := len([]rune(text))
	prev := 0
	for _, s := range spans {
		if s.Start < prev || s.End <= s.Start || s.End > n {
			t.Fatalf("%s: bad span %+v (prev end %d, len %d)", id, s, prev, n)
		}
		prev = s.End
	}
}
