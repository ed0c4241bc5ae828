package plot

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden SVG files in testdata/")

// elem is one parsed SVG element: its name, attributes and direct text.
type elem struct {
	name string
	attr map[string]string
	text string
}

// parse decodes an SVG with encoding/xml (so it must be well formed) and
// returns its elements in document order.
func parse(t *testing.T, svg []byte) []*elem {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	var out, stack []*elem
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			e := &elem{name: tk.Name.Local, attr: map[string]string{}}
			for _, a := range tk.Attr {
				e.attr[a.Name.Local] = a.Value
			}
			if len(out) == 0 && (e.name != "svg" || tk.Name.Space != "http://www.w3.org/2000/svg") {
				t.Fatalf("root is %v, want svg in the SVG namespace", tk.Name)
			}
			out = append(out, e)
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tk)
			}
		}
	}
	return out
}

func byClass(es []*elem, class string) []*elem {
	var out []*elem
	for _, e := range es {
		if e.attr["class"] == class {
			out = append(out, e)
		}
	}
	return out
}

// selfContained fails if the SVG could load anything from outside.
func selfContained(t *testing.T, name string, svg []byte) {
	t.Helper()
	low := strings.ToLower(string(svg))
	for _, bad := range []string{"<script", "href", "url(", "@import", "<image", "<style", "<foreignobject", "@font-face"} {
		if strings.Contains(low, bad) {
			t.Errorf("%s contains %q", name, bad)
		}
	}
	if !strings.Contains(string(svg), `font-family="sans-serif"`) {
		t.Errorf("%s does not use the generic sans-serif family", name)
	}
}

// golden compares svg with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, svg []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, svg, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./plot -update to create it)", err)
	}
	if !bytes.Equal(svg, want) {
		t.Errorf("%s differs from the golden file (go test ./plot -update rewrites it after review)", name)
	}
}

// render checks what every chart must satisfy and returns its elements.
func render(t *testing.T, name string, f func() ([]byte, error)) []*elem {
	t.Helper()
	svg, err := f()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := f()
	if !bytes.Equal(svg, again) {
		t.Errorf("%s: two renderings differ", name)
	}
	selfContained(t, name, svg)
	golden(t, name, svg)
	return parse(t, svg)
}

func attrs(t *testing.T, e *elem, kv ...string) {
	t.Helper()
	for i := 0; i < len(kv); i += 2 {
		if got := e.attr[kv[i]]; got != kv[i+1] {
			t.Errorf("<%s class=%q> %s = %q, want %q", e.name, e.attr["class"], kv[i], got, kv[i+1])
		}
	}
}

func confusionFixture() ConfusionMatrix {
	return ConfusionMatrix{
		Title:  "Confusion matrix <test> & co",
		Labels: []string{"neoplasms", "digestive <&> system", "nervous"},
		Counts: [][]int{{50, 3, 2}, {4, 40, 6}, {1, 5, 30}},
	}
}

func TestConfusionMatrix(t *testing.T) {
	m := confusionFixture()
	es := render(t, "confusion.svg", m.SVG)
	cells, counts := byClass(es, "cell"), byClass(es, "count")
	if len(cells) != 9 || len(counts) != 9 {
		t.Fatalf("%d cells, %d counts, want 9 each", len(cells), len(counts))
	}
	want := []string{"50", "3", "2", "4", "40", "6", "1", "5", "30"}
	for i, e := range counts {
		if e.text != want[i] {
			t.Errorf("count %d = %q, want %q (row-major)", i, e.text, want[i])
		}
	}
	// 3 classes: cells are 64 px, from (170, 50); row 1 column 2 is at
	// (298, 114). The darkest cell is the diagonal one of row 0 (50/55).
	attrs(t, cells[5], "x", "298", "y", "114", "width", "64", "height", "64")
	attrs(t, cells[0], "fill", blues(50.0/55))
	attrs(t, counts[0], "fill", "#ffffff")
	attrs(t, counts[1], "fill", "#000000")
	rows := byClass(es, "row-label")
	if len(rows) != 3 || rows[1].text != "digestive <&> system" {
		t.Errorf("row labels %v", rows)
	}
	if es[1].name != "title" || es[1].text != "Confusion matrix <test> & co" {
		t.Errorf("title element %q", es[1].text)
	}
	svg, _ := m.SVG()
	if !bytes.Contains(svg, []byte("digestive &lt;&amp;&gt; system")) {
		t.Error("label not escaped")
	}
}

func TestReliability(t *testing.T) {
	ece := 0.0423
	r := Reliability{Title: "Reliability", ECE: &ece, Bins: []Bin{
		{0.4, 0.5, 0.46, 0.4, 10}, {0.5, 0.6, 0.55, 0.5, 20}, {0.6, 0.7, 0.65, 0.65, 30},
		{0.7, 0.8, 0.75, 0.8, 0}, {0.8, 0.9, 0.86, 0.82, 40}, {0.9, 1, 0.97, 0.95, 50},
	}}
	es := render(t, "reliability.svg", r.SVG)
	bins, pts := byClass(es, "bin"), byClass(es, "point")
	if len(bins) != 5 || len(pts) != 5 {
		t.Fatalf("%d bars, %d points; want 5 each (the empty bin is skipped)", len(bins), len(pts))
	}
	// Plot box 70..450 × 40..380: bin (0.6, 0.7] with accuracy 0.65 is
	// x 298, width 38, top 380 − 0.65·340 = 159.
	attrs(t, bins[2], "x", "298", "width", "38", "y", "159", "height", "221")
	attrs(t, pts[2], "cx", "317", "cy", "159")
	d := byClass(es, "diagonal")
	if len(d) != 1 {
		t.Fatalf("%d diagonals", len(d))
	}
	attrs(t, d[0], "x1", "70", "y1", "380", "x2", "450", "y2", "40")
	if l := byClass(es, "legend"); len(l) != 1 || l[0].text != "accuracy per bin (ECE 0.042)" {
		t.Errorf("legend %v", l)
	}
}

func TestROC(t *testing.T) {
	r := ROC{Title: "ROC", Curves: []Curve{
		{Name: "medbert", X: []float64{0, 0.1, 0.5, 1}, Y: []float64{0, 0.6, 0.75, 1}, Area: 0.8125},
		{Name: "bag of words", X: []float64{0, 0.3, 1}, Y: []float64{0, 0.5, 1}, Area: 0.6},
	}}
	es := render(t, "roc.svg", r.ROC().SVG)
	curves := byClass(es, "curve")
	if len(curves) != 2 {
		t.Fatalf("%d curves", len(curves))
	}
	// (0,0) -> (70,380); (0.1,0.6) -> (108,176); (0.5,0.75) -> (260,125); (1,1) -> (450,40).
	attrs(t, curves[0], "points", "70,380 108,176 260,125 450,40")
	legends := byClass(es, "legend")
	if len(legends) != 2 || legends[0].text != "medbert (AUC 0.812)" || legends[1].text != "bag of words (AUC 0.600)" {
		t.Errorf("legend %q", []string{legends[0].text, legends[1].text})
	}
	if len(byClass(es, "diagonal")) != 1 {
		t.Error("no chance diagonal")
	}
}

// ROC returns r; it lets the table above read as data.
func (r ROC) ROC() ROC { return r }

func TestPR(t *testing.T) {
	p := PR{Title: "Precision-recall", Prevalence: 0.4, Curves: []Curve{
		{Name: "medbert", X: []float64{1, 0.8, 0.5, 0}, Y: []float64{0.4, 0.7, 0.9, 1}, Area: 0.81},
	}}
	es := render(t, "pr.svg", p.SVG)
	curves := byClass(es, "curve")
	if len(curves) != 1 {
		t.Fatalf("%d curves", len(curves))
	}
	// Steps-post: (1,0.4) (0.8,0.4) (0.8,0.7) (0.5,0.7) (0.5,0.9) (0,0.9) (0,1).
	attrs(t, curves[0], "points", "450,244 374,244 374,142 260,142 260,74 70,74 70,40")
	base := byClass(es, "baseline")
	if len(base) != 1 {
		t.Fatal("no prevalence baseline")
	}
	attrs(t, base[0], "y1", "244", "y2", "244")
	if l := byClass(es, "legend"); l[0].text != "medbert (AP 0.810)" {
		t.Errorf("legend %q", l[0].text)
	}
}

func TestBars(t *testing.T) {
	b := Bars{
		Title:      "Recall by sex",
		Categories: []string{"F", "M", "X <unknown>"},
		Series:     []Series{{"recall", []float64{0.82, 0.5, 0.9}}, {"specificity", []float64{0.7, 0.75, 1}}},
		Muted:      []bool{false, false, true},
		ValueLabel: "score",
	}
	es := render(t, "bars.svg", b.SVG)
	bars := byClass(es, "bar")
	if len(bars) != 6 {
		t.Fatalf("%d bars, want 6", len(bars))
	}
	// Value axis 0..1 over x 180..520: 0.5 is 170 px wide. Rows are two
	// 16 px bars plus a 12 px gap (44 px) from 40 + 18·2 = 76 (below the
	// legend); row 1's first bar starts 6 px (half the gap) + 1 px in:
	// 76 + 44 + 6 + 1 = 127.
	attrs(t, bars[2], "x", "180", "width", "170", "y", "127")
	attrs(t, bars[4], "fill-opacity", "0.35")
	if _, ok := bars[0].attr["fill-opacity"]; ok {
		t.Error("unmuted bar is faded")
	}
	cats := byClass(es, "category")
	if len(cats) != 3 || cats[2].text != "X <unknown> (too small)" {
		t.Errorf("categories %v", cats)
	}
	if v := byClass(es, "value"); v[0].text != "0.820" {
		t.Errorf("value label %q", v[0].text)
	}
}

func TestLines(t *testing.T) {
	var x, y []float64
	for i := 1; i <= 10; i++ {
		x = append(x, float64(i*100))
		y = append(y, 2.0/float64(i))
	}
	l := Lines{Title: "Training loss", XLabel: "step", YLabel: "loss", Series: []Line{
		{Name: "train loss", X: x, Y: y},
		{Name: "eval loss", X: []float64{300, 600, 900}, Y: []float64{0.9, 0.5, 0.4}, Markers: true},
	}}
	es := render(t, "lines.svg", l.SVG)
	lines, markers := byClass(es, "line"), byClass(es, "marker")
	if len(lines) != 1 || len(markers) != 3 {
		t.Fatalf("%d lines, %d markers", len(lines), len(markers))
	}
	if n := len(strings.Fields(lines[0].attr["points"])); n != 10 {
		t.Errorf("%d line points, want 10", n)
	}
	// x ticks 0..1000 over 70..530: step 500 at 300. y ticks 0..2 over
	// 340..40: loss 0.5 at 265.
	attrs(t, markers[1], "cx", "346", "cy", "265")
	var ticks []string
	for _, e := range byClass(es, "tick") {
		ticks = append(ticks, e.text)
	}
	if got := strings.Join(ticks, " "); got != "0 200 400 600 800 1000 0 0.5 1 1.5 2" {
		t.Errorf("ticks %q", got)
	}
}

func TestBadInput(t *testing.T) {
	cases := map[string]func() ([]byte, error){
		"ragged matrix":    ConfusionMatrix{Labels: []string{"a", "b"}, Counts: [][]int{{1, 2}, {3}}}.SVG,
		"negative count":   ConfusionMatrix{Labels: []string{"a"}, Counts: [][]int{{-1}}}.SVG,
		"labels vs rows":   ConfusionMatrix{Labels: []string{"a"}, Counts: [][]int{{1, 2}, {3, 4}}}.SVG,
		"bin outside":      Reliability{Bins: []Bin{{0.9, 1.2, 1, 1, 3}}}.SVG,
		"roc outside":      ROC{Curves: []Curve{{X: []float64{0, 1.5}, Y: []float64{0, 1}}}}.SVG,
		"roc lengths":      ROC{Curves: []Curve{{X: []float64{0, 1}, Y: []float64{0}}}}.SVG,
		"no curves":        ROC{}.SVG,
		"pr prevalence":    PR{Prevalence: 2, Curves: []Curve{{X: []float64{0}, Y: []float64{1}}}}.SVG,
		"bars lengths":     Bars{Categories: []string{"a", "b"}, Series: []Series{{"x", []float64{1}}}}.SVG,
		"bars negative":    Bars{Categories: []string{"a"}, Series: []Series{{"x", []float64{-1}}}}.SVG,
		"bars muted count": Bars{Categories: []string{"a"}, Series: []Series{{"x", []float64{1}}}, Muted: []bool{true, false}}.SVG,
		"lines empty":      Lines{}.SVG,
		"lines NaN":        Lines{Series: []Line{{X: []float64{0, 1}, Y: []float64{0, nan()}}}}.SVG,
	}
	for name, f := range cases {
		if _, err := f(); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func nan() float64 { var z float64; return z / z }

// Labels with characters XML forbids (control characters, invalid UTF-8)
// still give a well-formed document.
func TestControlCharactersInLabels(t *testing.T) {
	svg, err := Bars{Title: "a\x00b\x1b", Categories: []string{"\xff\xfe", "ok\n"}, Series: []Series{{"s\x07", []float64{0.5, 0.25}}}}.SVG()
	if err != nil {
		t.Fatal(err)
	}
	parse(t, svg)
}

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi   float64
		n        int
		want     string
		min, max float64
	}{
		{100, 1000, 6, "0 200 400 600 800 1000", 0, 1000},
		{0.4, 2, 5, "0 0.5 1 1.5 2", 0, 2},
		{0.31, 0.33, 4, "0.31 0.315 0.32 0.325 0.33", 0.31, 0.33},
		{5, 5, 5, "4.4 4.6 4.8 5 5.2 5.4 5.6", 4.4, 5.6},
	} {
		ticks, min, max := niceTicks(c.lo, c.hi, c.n)
		var s []string
		for _, v := range ticks {
			s = append(s, tickLabel(v))
		}
		if got := strings.Join(s, " "); got != c.want || tickLabel(min) != tickLabel(c.min) || tickLabel(max) != tickLabel(c.max) {
			t.Errorf("niceTicks(%v, %v) = %q [%v, %v], want %q [%v, %v]", c.lo, c.hi, got, min, max, c.want, c.min, c.max)
		}
	}
}

// FuzzLabels: whatever the labels hold (markup, control characters,
// invalid UTF-8), every chart is well-formed XML and the label's escaped
// text survives.
func FuzzLabels(f *testing.F) {
	for _, s := range []string{"<&>", "a\x00b", "\xff", `"quoted" 'x'`, "]]>", "<script>alert(1)</script>", "ünïcödé"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		charts := []func() ([]byte, error){
			ConfusionMatrix{Title: s, Labels: []string{s, "b"}, Counts: [][]int{{1, 2}, {3, 4}}}.SVG,
			Bars{Title: s, Categories: []string{s}, Series: []Series{{s, []float64{0.5}}}, ValueLabel: s}.SVG,
			ROC{Title: s, Curves: []Curve{{Name: s, X: []float64{0, 1}, Y: []float64{0, 1}}}}.SVG,
			Lines{Title: s, XLabel: s, YLabel: s, Series: []Line{{Name: s, X: []float64{0, 1}, Y: []float64{1, 0}}}}.SVG,
		}
		for _, c := range charts {
			svg, err := c()
			if err != nil {
				t.Fatal(err)
			}
			es := parse(t, svg)
			if strings.Contains(strings.ToLower(string(svg)), "<script") {
				t.Fatalf("unescaped markup from %q", s)
			}
			if es[1].name != "title" {
				t.Fatalf("second element %q, want title", es[1].name)
			}
		}
	})
}
