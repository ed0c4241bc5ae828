package plot

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// palette holds the series colours (colour-blind-safe Okabe–Ito order).
var palette = []string{"#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442", "#000000"}

func color(i int) string { return palette[i%len(palette)] }

// num prints a coordinate with at most two decimals and no trailing zeros,
// so the output is stable and small.
func num(v float64) string {
	v = math.Round(v*100) / 100
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// canvas accumulates one SVG document.
type canvas struct {
	b    bytes.Buffer
	w, h float64
}

func newCanvas(w, h float64, title string) *canvas {
	c := &canvas{w: w, h: h}
	fmt.Fprintf(&c.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="sans-serif" font-size="12" role="img">`+"\n",
		num(w), num(h), num(w), num(h))
	c.b.WriteString("<title>")
	c.escape(title)
	c.b.WriteString("</title>\n")
	fmt.Fprintf(&c.b, `<rect class="background" x="0" y="0" width="%s" height="%s" fill="#ffffff"/>`+"\n", num(w), num(h))
	if title != "" {
		c.text(w/2, 20, "middle", title, `class="title" font-size="15" font-weight="bold"`)
	}
	return c
}

func (c *canvas) escape(s string) {
	_ = xml.EscapeText(&c.b, []byte(s)) // writing to a bytes.Buffer cannot fail
}

// text writes a text element; attrs are extra attributes, already valid.
func (c *canvas) text(x, y float64, anchor, s, attrs string) {
	fmt.Fprintf(&c.b, `<text x="%s" y="%s" text-anchor="%s"`, num(x), num(y), anchor)
	if attrs != "" {
		c.b.WriteString(" " + attrs)
	}
	c.b.WriteString(">")
	c.escape(s)
	c.b.WriteString("</text>\n")
}

func (c *canvas) line(x1, y1, x2, y2 float64, attrs string) {
	fmt.Fprintf(&c.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" %s/>`+"\n", num(x1), num(y1), num(x2), num(y2), attrs)
}

func (c *canvas) rect(x, y, w, h float64, attrs string) {
	fmt.Fprintf(&c.b, `<rect x="%s" y="%s" width="%s" height="%s" %s/>`+"\n", num(x), num(y), num(w), num(h), attrs)
}

func (c *canvas) circle(x, y, r float64, attrs string) {
	fmt.Fprintf(&c.b, `<circle cx="%s" cy="%s" r="%s" %s/>`+"\n", num(x), num(y), num(r), attrs)
}

func (c *canvas) polyline(xs, ys []float64, attrs string) {
	var pts []string
	for i := range xs {
		pts = append(pts, num(xs[i])+","+num(ys[i]))
	}
	fmt.Fprintf(&c.b, `<polyline points="%s" fill="none" %s/>`+"\n", strings.Join(pts, " "), attrs)
}

func (c *canvas) bytes() []byte {
	c.b.WriteString("</svg>\n")
	return c.b.Bytes()
}

// axes maps data coordinates to pixels inside the box [left, right] ×
// [top, bottom]; y grows upwards in data, downwards in pixels.
type axes struct {
	left, top, right, bottom float64
	xmin, xmax, ymin, ymax   float64
}

func (a axes) px(x float64) float64 {
	return a.left + (x-a.xmin)/(a.xmax-a.xmin)*(a.right-a.left)
}

func (a axes) py(y float64) float64 {
	return a.bottom - (y-a.ymin)/(a.ymax-a.ymin)*(a.bottom-a.top)
}

// draw writes the frame, grid lines, ticks and axis titles.
func (a axes) draw(c *canvas, xticks, yticks []float64, xlabel, ylabel string) {
	for _, t := range xticks {
		x := a.px(t)
		c.line(x, a.top, x, a.bottom, `class="grid" stroke="#e5e5e5"`)
		c.text(x, a.bottom+16, "middle", tickLabel(t), `class="tick"`)
	}
	for _, t := range yticks {
		y := a.py(t)
		c.line(a.left, y, a.right, y, `class="grid" stroke="#e5e5e5"`)
		c.text(a.left-6, y+4, "end", tickLabel(t), `class="tick"`)
	}
	c.rect(a.left, a.top, a.right-a.left, a.bottom-a.top, `class="frame" fill="none" stroke="#333333"`)
	if xlabel != "" {
		c.text((a.left+a.right)/2, a.bottom+36, "middle", xlabel, `class="axis-label"`)
	}
	if ylabel != "" {
		x, y := a.left-46, (a.top+a.bottom)/2
		c.text(x, y, "middle", ylabel, fmt.Sprintf(`class="axis-label" transform="rotate(-90 %s %s)"`, num(x), num(y)))
	}
}

// tickLabel prints a tick value compactly (0.2, 1, 1500, 2.5e+06).
func tickLabel(v float64) string {
	if v != 0 && (math.Abs(v) >= 1e6 || math.Abs(v) < 1e-3) {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
}

// niceTicks returns about n round tick values covering [lo, hi] and the
// range they span (1, 2 or 5 times a power of ten apart).
func niceTicks(lo, hi float64, n int) (ticks []float64, min, max float64) {
	if hi <= lo {
		d := math.Max(math.Abs(lo)*0.1, 0.5)
		lo, hi = lo-d, hi+d
	}
	raw := (hi - lo) / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step := p
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw*(1-1e-9) { // tolerate rounding in (hi−lo)/n
			step = m * p
			break
		}
	}
	min = math.Floor(lo/step) * step
	max = math.Ceil(hi/step) * step
	for i := 0; ; i++ {
		t := min + float64(i)*step
		if t > max+step/2 {
			break
		}
		ticks = append(ticks, math.Round(t/step)*step)
	}
	return ticks, min, max
}

var unitTicks = []float64{0, 0.2, 0.4, 0.6, 0.8, 1}

// legend draws one swatch and label per entry from (x, y) downwards: a
// line, or a dot for entries drawn as markers.
func legend(c *canvas, x, y float64, names []string, markers []bool) {
	for i, n := range names {
		yy := y + float64(i)*18
		if markers != nil && markers[i] {
			c.circle(x+11, yy-4, 3.5, fmt.Sprintf(`class="legend-swatch" fill="%s"`, color(i)))
		} else {
			c.line(x, yy-4, x+22, yy-4, fmt.Sprintf(`class="legend-swatch" stroke="%s" stroke-width="2.5"`, color(i)))
		}
		c.text(x+28, yy, "start", n, `class="legend"`)
	}
}

// shorten cuts a label to at most n runes, marking the cut with "…".
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
