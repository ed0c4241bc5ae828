package explain

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
)

// Disclaimer is shown with every rendered explanation.
const Disclaimer = "Decision support only — a qualified clinician must review every result."

// maxAbs is the largest |score|, the scale of the highlighting (1 when all
// scores are 0, so nothing is highlighted).
func (e *Explanation) maxAbs() float64 {
	m := 0.0
	for _, w := range e.Words {
		m = max(m, math.Abs(w.Score))
	}
	if m == 0 {
		return 1
	}
	return m
}

// WriteText prints the words with their scores, strongest first, one per
// line; with color, the text is printed once more with each word's
// background showing its score (red for the explained class, blue against).
func (e *Explanation) WriteText(w io.Writer, text string, color bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): logit %.4f, baseline %.4f\n", e.Label, e.Method, e.Logit, e.BaselineLogit)
	if color {
		b.WriteString(colorize(text, e.Words, e.maxAbs()))
		b.WriteString("\n")
	}
	order := make([]Word, len(e.Words))
	copy(order, e.Words)
	// A stable insertion sort keeps the text order among equal scores.
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && math.Abs(order[j].Score) > math.Abs(order[j-1].Score); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	for _, wd := range order {
		fmt.Fprintf(&b, "%+10.4f  %s\n", wd.Score, wd.Word)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// colorize returns text with ANSI 256-colour backgrounds on the words.
func colorize(text string, words []Word, scale float64) string {
	var b strings.Builder
	runes := 0
	i := 0
	for _, r := range text {
		if i < len(words) && runes == words[i].Start {
			fmt.Fprintf(&b, "\x1b[48;5;%dm", ansiShade(words[i].Score/scale))
		}
		b.WriteRune(r)
		runes++
		if i < len(words) && runes == words[i].End {
			b.WriteString("\x1b[0m")
			i++
		}
	}
	return b.String()
}

// ansiShade maps s in [-1, 1] to a 256-colour code: reds for positive,
// blues for negative, the palette's palest for about zero.
func ansiShade(s float64) int {
	reds := []int{231, 224, 217, 210, 203, 196}
	blues := []int{231, 189, 153, 117, 81, 45}
	k := min(int(math.Abs(s)*float64(len(reds))), len(reds)-1)
	if s < 0 {
		return blues[k]
	}
	return reds[k]
}

// htmlSpan is one run of the page: a word with its colour, or the text
// between words.
type htmlSpan struct {
	Text  string
	Word  bool
	Score float64
	Style template.CSS
}

var page = template.Must(template.New("explain").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Explanation: {{.E.Label}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem;color:#222}
.banner{background:#fff3cd;border:1px solid #e0c060;padding:.6rem 1rem;border-radius:.3rem}
.text{font-size:1.15rem;line-height:2.1rem;white-space:pre-wrap;border:1px solid #ddd;padding:1rem;border-radius:.3rem}
.w{padding:.15rem .1rem;border-radius:.2rem}
table{border-collapse:collapse;margin-top:1rem}td,th{padding:.2rem .8rem;border-bottom:1px solid #eee;text-align:left}
.legend span{padding:.1rem .5rem;margin-right:.5rem;border-radius:.2rem}
</style></head><body>
<p class="banner" role="note">{{.Disclaimer}}</p>
<h1>{{.E.Label}}</h1>
<p>Method: <b>{{.E.Method}}</b> · logit {{printf "%.4f" .E.Logit}} · baseline logit {{printf "%.4f" .E.BaselineLogit}}{{if .E.Truncated}} · <b>the text was truncated; later words were not seen</b>{{end}}</p>
<p class="legend"><span style="background:rgba(214,39,40,.55)">for {{.E.Label}}</span><span style="background:rgba(31,119,180,.55)">against</span></p>
<div class="text" id="text">{{range .Spans}}{{if .Word}}<span class="w" style="{{.Style}}" title="{{printf "%+.4f" .Score}}">{{.Text}}</span>{{else}}{{.Text}}{{end}}{{end}}</div>
<table><tr><th>word</th><th>score</th></tr>{{range .Top}}<tr><td>{{.Word}}</td><td>{{printf "%+.4f" .Score}}</td></tr>{{end}}</table>
</body></html>
`))

// WriteHTML writes a self-contained page (no scripts, fonts or requests)
// highlighting the words of text by their scores.
func (e *Explanation) WriteHTML(w io.Writer, text string) error {
	scale := e.maxAbs()
	var spans []htmlSpan
	runes := []rune(text)
	pos := 0
	for _, wd := range e.Words {
		if wd.Start < pos || wd.End > len(runes) {
			return fmt.Errorf("explain: word span [%d, %d) does not fit the text", wd.Start, wd.End)
		}
		if wd.Start > pos {
			spans = append(spans, htmlSpan{Text: string(runes[pos:wd.Start])})
		}
		a := math.Min(math.Abs(wd.Score)/scale, 1) * 0.75
		rgb := "214,39,40"
		if wd.Score < 0 {
			rgb = "31,119,180"
		}
		spans = append(spans, htmlSpan{Text: string(runes[wd.Start:wd.End]), Word: true, Score: wd.Score,
			Style: template.CSS(fmt.Sprintf("background:rgba(%s,%.3f)", rgb, a))})
		pos = wd.End
	}
	if pos < len(runes) {
		spans = append(spans, htmlSpan{Text: string(runes[pos:])})
	}
	top := make([]Word, len(e.Words))
	copy(top, e.Words)
	for i := 1; i < len(top); i++ {
		for j := i; j > 0 && top[j].Score > top[j-1].Score; j-- {
			top[j], top[j-1] = top[j-1], top[j]
		}
	}
	if len(top) > 10 {
		top = top[:10]
	}
	return page.Execute(w, struct {
		E          *Explanation
		Spans      []htmlSpan
		Top        []Word
		Disclaimer string
	}{e, spans, top, Disclaimer})
}
