package browsertest

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
)

// Stats describe how much a screenshot shows.
type Stats struct {
	Width, Height int
	// Colors is the number of distinct colours (8 bits per channel).
	Colors int
	// Inked is the fraction of pixels that differ from the most common
	// colour (the background).
	Inked float64
}

// Inspect decodes a PNG and measures it.
func Inspect(data []byte) (Stats, error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return Stats{}, fmt.Errorf("browsertest: screenshot: %w", err)
	}
	return measure(img), nil
}

func measure(img image.Image) Stats {
	r := img.Bounds()
	counts := map[uint32]int{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			counts[(cr>>8)<<16|(cg>>8)<<8|cb>>8]++
		}
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	s := Stats{Width: r.Dx(), Height: r.Dy(), Colors: len(counts)}
	if total := r.Dx() * r.Dy(); total > 0 {
		s.Inked = float64(total-top) / float64(total)
	}
	return s
}

// Thresholds below which a screenshot counts as blank: rendered text
// alone brings dozens of anti-aliasing shades and covers a few per cent
// of a page.
const (
	MinColors = 16
	MinInked  = 0.005
)

// CheckNotBlank returns the screenshot's stats, and ErrBlank (wrapped with
// them) when it has fewer than MinColors colours or less than MinInked of
// its pixels differ from the background.
func CheckNotBlank(data []byte) (Stats, error) {
	s, err := Inspect(data)
	if err != nil {
		return s, err
	}
	if s.Colors < MinColors || s.Inked < MinInked {
		return s, fmt.Errorf("%w: %d colours, %.2f%% of %dx%d pixels off the background",
			ErrBlank, s.Colors, 100*s.Inked, s.Width, s.Height)
	}
	return s, nil
}
