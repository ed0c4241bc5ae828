package plot

import (
	"fmt"
	"math"
	"strconv"
)

// ConfusionMatrix is a heatmap of counts: rows are true classes, columns
// predicted classes, both in Labels order (metrics.ConfusionMatrix's
// layout). Each cell shows its count; its shade is the count relative to
// the row total, so rare classes are as readable as common ones.
type ConfusionMatrix struct {
	Title  string
	Labels []string
	Counts [][]int
}

// SVG renders the heatmap.
func (m ConfusionMatrix) SVG() ([]byte, error) {
	k := len(m.Labels)
	if k == 0 || len(m.Counts) != k {
		return nil, fmt.Errorf("plot: confusion matrix has %d rows for %d labels", len(m.Counts), k)
	}
	for i, row := range m.Counts {
		if len(row) != k {
			return nil, fmt.Errorf("plot: confusion matrix row %d has %d columns, want %d", i, len(row), k)
		}
		for _, v := range row {
			if v < 0 {
				return nil, fmt.Errorf("plot: confusion matrix row %d has a negative count", i)
			}
		}
	}
	cell := math.Max(28, math.Min(64, 448/float64(k)))
	left, top := 170.0, 50.0
	w := left + cell*float64(k) + 30
	h := top + cell*float64(k) + 120
	c := newCanvas(w, h, m.Title)
	for i, row := range m.Counts {
		total := 0
		for _, v := range row {
			total += v
		}
		y := top + float64(i)*cell
		c.text(left-8, y+cell/2+4, "end", shorten(m.Labels[i], 24), `class="row-label"`)
		for j, v := range row {
			x := left + float64(j)*cell
			share := 0.0
			if total > 0 {
				share = float64(v) / float64(total)
			}
			c.rect(x, y, cell, cell, fmt.Sprintf(`class="cell" fill="%s" stroke="#ffffff"`, blues(share)))
			ink := "#000000"
			if share > 0.55 {
				ink = "#ffffff"
			}
			c.text(x+cell/2, y+cell/2+4, "middle", strconv.Itoa(v), fmt.Sprintf(`class="count" fill="%s"`, ink))
		}
	}
	bottom := top + cell*float64(k)
	for j, l := range m.Labels {
		x, y := left+float64(j)*cell+cell/2, bottom+10
		c.text(x, y, "end", shorten(l, 24), fmt.Sprintf(`class="col-label" transform="rotate(-45 %s %s)"`, num(x), num(y)))
	}
	c.text(left+cell*float64(k)/2, h-12, "middle", "predicted", `class="axis-label"`)
	c.text(14, top+cell*float64(k)/2, "middle", "true", fmt.Sprintf(`class="axis-label" transform="rotate(-90 14 %s)"`, num(top+cell*float64(k)/2)))
	return c.bytes(), nil
}

// blues maps a share in [0, 1] from white to a dark blue.
func blues(s float64) string {
	s = math.Max(0, math.Min(1, s))
	lerp := func(a, b float64) int { return int(math.Round(a + (b-a)*s)) }
	return fmt.Sprintf("#%02x%02x%02x", lerp(0xf7, 0x08), lerp(0xfb, 0x30), lerp(0xff, 0x6b))
}

// Bin is one bin of a reliability diagram (metrics.CalibrationBin).
type Bin struct {
	Lo, Hi     float64 // confidence range of the bin
	Confidence float64 // mean confidence of its examples
	Accuracy   float64 // fraction of them predicted right
	Count      int
}

// Reliability is a reliability diagram: a bar per non-empty confidence
// bin whose height is the bin's accuracy, a dot at (mean confidence,
// accuracy), and the diagonal of perfect calibration.
type Reliability struct {
	Title string
	Bins  []Bin
	ECE   *float64 // shown in the legend when set
}

// SVG renders the diagram.
func (r Reliability) SVG() ([]byte, error) {
	for i, b := range r.Bins {
		if !finite(b.Lo, b.Hi, b.Confidence, b.Accuracy) || b.Lo < 0 || b.Hi > 1 || b.Lo > b.Hi || b.Count < 0 {
			return nil, fmt.Errorf("plot: reliability bin %d is not a range inside [0, 1] with finite values", i)
		}
	}
	c := newCanvas(480, 440, r.Title)
	a := axes{left: 70, top: 40, right: 450, bottom: 380, xmin: 0, xmax: 1, ymin: 0, ymax: 1}
	a.draw(c, unitTicks, unitTicks, "confidence", "accuracy")
	for _, b := range r.Bins {
		if b.Count == 0 {
			continue
		}
		x0, x1, y := a.px(b.Lo), a.px(b.Hi), a.py(b.Accuracy)
		c.rect(x0, y, x1-x0, a.bottom-y, fmt.Sprintf(`class="bin" fill="%s" fill-opacity="0.55" stroke="#ffffff"`, color(0)))
		c.text((x0+x1)/2, y-4, "middle", strconv.Itoa(b.Count), `class="bin-count" font-size="9" fill="#555555"`)
	}
	for _, b := range r.Bins {
		if b.Count > 0 {
			c.circle(a.px(b.Confidence), a.py(b.Accuracy), 3.5, fmt.Sprintf(`class="point" fill="%s"`, color(3)))
		}
	}
	c.line(a.px(0), a.py(0), a.px(1), a.py(1), `class="diagonal" stroke="#777777" stroke-dasharray="5 3"`)
	label := "accuracy per bin"
	if r.ECE != nil {
		label += fmt.Sprintf(" (ECE %.3f)", *r.ECE)
	}
	legend(c, a.left+10, a.top+18, []string{label}, nil)
	return c.bytes(), nil
}

// Series is one named sequence of values.
type Series struct {
	Name   string
	Values []float64
}

// Bars is a grouped horizontal bar chart: one row per category (e.g. a
// subgroup), one bar per series (e.g. a metric, or a model) in each row.
// Muted categories (e.g. groups too small to judge) are drawn faded, and
// their label says so.
type Bars struct {
	Title      string
	Categories []string
	Series     []Series // Values[i] belongs to Categories[i]
	Muted      []bool   // optional, one per category
	Max        float64  // end of the value axis; 0 means 1, or the largest value if above 1
	ValueLabel string   // title of the value axis
}

// SVG renders the chart.
func (b Bars) SVG() ([]byte, error) {
	n, s := len(b.Categories), len(b.Series)
	if n == 0 || s == 0 {
		return nil, fmt.Errorf("plot: bars need at least one category and one series")
	}
	if b.Muted != nil && len(b.Muted) != n {
		return nil, fmt.Errorf("plot: %d muted flags for %d categories", len(b.Muted), n)
	}
	hi := b.Max
	for _, se := range b.Series {
		if len(se.Values) != n {
			return nil, fmt.Errorf("plot: series %q has %d values for %d categories", se.Name, len(se.Values), n)
		}
		for _, v := range se.Values {
			if !finite(v) || v < 0 {
				return nil, fmt.Errorf("plot: series %q has a negative or non-finite value", se.Name)
			}
			if b.Max == 0 {
				hi = math.Max(hi, v)
			}
		}
	}
	if b.Max == 0 {
		hi = math.Max(hi, 1)
	}
	barH, gap := 16.0, 12.0
	rowH := barH*float64(s) + gap
	top := 40.0
	if s > 1 {
		top += 18 * float64(s)
	}
	a := axes{left: 180, top: top, right: 520, bottom: top + rowH*float64(n), xmin: 0, xmax: hi, ymin: 0, ymax: 1}
	c := newCanvas(580, a.bottom+56, b.Title) // room for a value label at the axis end
	ticks, _, _ := niceTicks(0, hi, 5)
	var xt []float64
	for _, t := range ticks {
		if t <= hi+1e-12 {
			xt = append(xt, t)
		}
	}
	a.draw(c, xt, nil, b.ValueLabel, "")
	for i, cat := range b.Categories {
		y := a.top + float64(i)*rowH + gap/2
		muted := b.Muted != nil && b.Muted[i]
		label := shorten(cat, 26)
		if muted {
			label += " (too small)"
		}
		c.text(a.left-8, y+barH*float64(s)/2+4, "end", label, `class="category"`)
		for j, se := range b.Series {
			v := se.Values[i]
			yy := y + float64(j)*barH
			attrs := fmt.Sprintf(`class="bar" fill="%s"`, color(j))
			if muted {
				attrs += ` fill-opacity="0.35"`
			}
			c.rect(a.px(0), yy+1, a.px(v)-a.px(0), barH-2, attrs)
			c.text(a.px(v)+4, yy+barH/2+4, "start", fmt.Sprintf("%.3f", v), `class="value" font-size="10"`)
		}
	}
	if s > 1 {
		names := make([]string, s)
		for j, se := range b.Series {
			names[j] = se.Name
		}
		legend(c, a.left, 44, names, nil)
	}
	return c.bytes(), nil
}
