package train

import (
	"fmt"
	"github.com/medbert/medbert/internal/term"
	"io"
	"os"
	"strings"
	"time"
)

// progress draws a one-line bar with loss, learning rate, throughput and
// ETA on a terminal, redrawn in place at most a few times a second. On
// anything else (a file, a pipe, CI) it stays silent and the trainer's
// plain log lines carry the same information.
type progress struct {
	w        io.Writer
	tty      bool
	total    int
	start    time.Time
	startAt  int // global step when this process started (resume)
	lastDraw time.Time
	seqs     int // sequences processed since start
	drawn    bool
}

func newProgress(w io.Writer, total, startAt int, disabled bool) *progress {
	p := &progress{w: w, total: total, start: time.Now(), startAt: startAt}
	if f, ok := w.(*os.File); ok && !disabled {
		p.tty = term.IsTerminal(f)
	}
	return p
}

// update redraws the bar after an optimizer step.
func (p *progress) update(step int, loss, lr float64, seqs int) {
	p.seqs += seqs
	if !p.tty {
		return
	}
	now := time.Now()
	if now.Sub(p.lastDraw) < 200*time.Millisecond && step < p.total {
		return
	}
	p.lastDraw = now
	el := now.Sub(p.start).Seconds()
	rate := float64(p.seqs) / el
	eta := "?"
	if done := step - p.startAt; done > 0 {
		left := time.Duration(float64(p.total-step) * el / float64(done) * float64(time.Second))
		eta = left.Round(time.Second).String()
	}
	const width = 24
	fill := 0
	if p.total > 0 {
		fill = width * step / p.total
	}
	bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
	fmt.Fprintf(p.w, "\r\x1b[K%d/%d [%s] loss %.4f lr %.2e %.1f seq/s ETA %s", step, p.total, bar, loss, lr, rate, eta)
	p.drawn = true
}

// clear removes the bar before a log line is printed, so lines do not mix.
func (p *progress) clear() {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// rate returns sequences per second since start.
func (p *progress) rate() float64 {
	el := time.Since(p.start).Seconds()
	if el <= 0 {
		return 0
	}
	return float64(p.seqs) / el
}
