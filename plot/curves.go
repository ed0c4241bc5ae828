package plot

import (
	"fmt"
	"math"
)

// Curve is one named curve of points (X[i], Y[i]) in [0, 1]², with the
// area printed in the legend (AUC for ROC, average precision for PR).
type Curve struct {
	Name string
	X, Y []float64
	Area float64
}

func checkCurve(kind string, i int, cu Curve) error {
	if len(cu.X) != len(cu.Y) || len(cu.X) == 0 {
		return fmt.Errorf("plot: %s curve %d has %d x and %d y values", kind, i, len(cu.X), len(cu.Y))
	}
	for k := range cu.X {
		if !finite(cu.X[k], cu.Y[k]) || cu.X[k] < 0 || cu.X[k] > 1 || cu.Y[k] < 0 || cu.Y[k] > 1 {
			return fmt.Errorf("plot: %s curve %d point %d is outside [0, 1]²", kind, i, k)
		}
	}
	return nil
}

// ROC is a receiver operating characteristic plot: each curve's X is the
// false positive rate and Y the true positive rate (metrics.ROCCurve),
// with the chance diagonal; the legend reads "name (AUC 0.873)".
type ROC struct {
	Title  string
	Curves []Curve
}

// SVG renders the plot.
func (r ROC) SVG() ([]byte, error) {
	return unitCurves(r.Title, r.Curves, "ROC", "false positive rate (1 − specificity)", "true positive rate (sensitivity)", "AUC", func(c *canvas, a axes) {
		c.line(a.px(0), a.py(0), a.px(1), a.py(1), `class="diagonal" stroke="#777777" stroke-dasharray="5 3"`)
	})
}

// PR is a precision-recall plot: each curve's X is recall and Y precision
// (metrics.PRCurve), drawn as steps like sklearn's PrecisionRecallDisplay;
// the legend reads "name (AP 0.812)". Prevalence, when above 0, draws the
// precision of a random classifier as a dashed line.
type PR struct {
	Title      string
	Curves     []Curve
	Prevalence float64
}

// SVG renders the plot.
func (p PR) SVG() ([]byte, error) {
	if !finite(p.Prevalence) || p.Prevalence < 0 || p.Prevalence > 1 {
		return nil, fmt.Errorf("plot: prevalence %v outside [0, 1]", p.Prevalence)
	}
	steps := make([]Curve, len(p.Curves))
	for i, cu := range p.Curves {
		if err := checkCurve("PR", i, cu); err != nil {
			return nil, err
		}
		steps[i] = stepCurve(cu)
	}
	return unitCurves(p.Title, steps, "PR", "recall (sensitivity)", "precision (PPV)", "AP", func(c *canvas, a axes) {
		if p.Prevalence > 0 {
			c.line(a.px(0), a.py(p.Prevalence), a.px(1), a.py(p.Prevalence), `class="baseline" stroke="#777777" stroke-dasharray="5 3"`)
		}
	})
}

// stepCurve turns PR points into the "steps-post" path sklearn draws when
// the points are in PRCurve's order (recall falling): between two points
// precision holds its value until recall changes.
func stepCurve(cu Curve) Curve {
	out := Curve{Name: cu.Name, Area: cu.Area}
	for k := range cu.X {
		if k > 0 {
			out.X = append(out.X, cu.X[k])
			out.Y = append(out.Y, cu.Y[k-1])
		}
		out.X = append(out.X, cu.X[k])
		out.Y = append(out.Y, cu.Y[k])
	}
	return out
}

func unitCurves(title string, curves []Curve, kind, xlabel, ylabel, area string, extra func(*canvas, axes)) ([]byte, error) {
	if len(curves) == 0 {
		return nil, fmt.Errorf("plot: %s plot needs at least one curve", kind)
	}
	for i, cu := range curves {
		if err := checkCurve(kind, i, cu); err != nil {
			return nil, err
		}
		if !finite(cu.Area) {
			return nil, fmt.Errorf("plot: %s curve %d has a non-finite area", kind, i)
		}
	}
	c := newCanvas(480, 440, title)
	a := axes{left: 70, top: 40, right: 450, bottom: 380, xmin: 0, xmax: 1, ymin: 0, ymax: 1}
	a.draw(c, unitTicks, unitTicks, xlabel, ylabel)
	extra(c, a)
	names := make([]string, len(curves))
	for i, cu := range curves {
		xs, ys := make([]float64, len(cu.X)), make([]float64, len(cu.Y))
		for k := range cu.X {
			xs[k], ys[k] = a.px(cu.X[k]), a.py(cu.Y[k])
		}
		c.polyline(xs, ys, fmt.Sprintf(`class="curve" stroke="%s" stroke-width="2"`, color(i)))
		names[i] = fmt.Sprintf("%s (%s %.3f)", cu.Name, area, cu.Area)
	}
	lx, ly := a.right-200, a.bottom-12-18*float64(len(curves)-1)
	if kind == "PR" {
		ly = a.top + 18
	}
	legend(c, lx, ly, names, nil)
	return c.bytes(), nil
}

// Line is one series of a line chart: points (X[i], Y[i]), drawn as a line
// or, with Markers, as dots (evaluation points between training steps).
type Line struct {
	Name    string
	X, Y    []float64
	Markers bool
}

// Lines is a line chart such as a training-loss curve over steps with the
// evaluation loss as markers. Axis ranges are rounded out to nice ticks
// around all the points.
type Lines struct {
	Title          string
	XLabel, YLabel string
	Series         []Line
}

// SVG renders the chart.
func (l Lines) SVG() ([]byte, error) {
	if len(l.Series) == 0 {
		return nil, fmt.Errorf("plot: line chart needs at least one series")
	}
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i, s := range l.Series {
		if len(s.X) != len(s.Y) || len(s.X) == 0 {
			return nil, fmt.Errorf("plot: series %d (%q) has %d x and %d y values", i, s.Name, len(s.X), len(s.Y))
		}
		for k := range s.X {
			if !finite(s.X[k], s.Y[k]) {
				return nil, fmt.Errorf("plot: series %d (%q) point %d is not finite", i, s.Name, k)
			}
			xlo, xhi = math.Min(xlo, s.X[k]), math.Max(xhi, s.X[k])
			ylo, yhi = math.Min(ylo, s.Y[k]), math.Max(yhi, s.Y[k])
		}
	}
	xt, x0, x1 := niceTicks(xlo, xhi, 6)
	yt, y0, y1 := niceTicks(ylo, yhi, 5)
	c := newCanvas(560, 400, l.Title)
	a := axes{left: 70, top: 40, right: 530, bottom: 340, xmin: x0, xmax: x1, ymin: y0, ymax: y1}
	a.draw(c, xt, yt, l.XLabel, l.YLabel)
	names := make([]string, len(l.Series))
	markers := make([]bool, len(l.Series))
	for i, s := range l.Series {
		names[i] = s.Name
		if s.Markers {
			for k := range s.X {
				c.circle(a.px(s.X[k]), a.py(s.Y[k]), 3.5, fmt.Sprintf(`class="marker" fill="%s"`, color(i)))
			}
			markers[i] = true
			continue
		}
		xs, ys := make([]float64, len(s.X)), make([]float64, len(s.Y))
		for k := range s.X {
			xs[k], ys[k] = a.px(s.X[k]), a.py(s.Y[k])
		}
		c.polyline(xs, ys, fmt.Sprintf(`class="line" stroke="%s" stroke-width="1.8"`, color(i)))
	}
	legend(c, a.right-170, a.top+18, names, markers)
	return c.bytes(), nil
}
