package train

// TEMPORARY until package optim lands: a plain AdamW so the loop can be
// tested. Replaced by optim in optcore.go.

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
)

type shimCore struct {
	params []NamedParam
	m, v   [][]float32
	t      int
	a      *Args
}

func newOptCore(a *Args, params []NamedParam, total int) (optCore, func(int) float64, error) {
	c := &shimCore{params: params, a: a}
	for _, p := range params {
		c.m = append(c.m, make([]float32, len(p.T.Data)))
		c.v = append(c.v, make([]float32, len(p.T.Data)))
	}
	warm := a.WarmupFor(total)
	lrAt := func(step int) float64 {
		if step < warm {
			return a.LearningRate * float64(step) / float64(max(1, warm))
		}
		return a.LearningRate * math.Max(0, float64(total-step)/float64(max(1, total-warm)))
	}
	return c, lrAt, nil
}

func (c *shimCore) clip(maxNorm float64) float64 {
	var s float64
	for _, p := range c.params {
		for _, g := range p.T.Grad {
			s += float64(g) * float64(g)
		}
	}
	n := math.Sqrt(s)
	if maxNorm > 0 {
		coef := maxNorm / (n + 1e-6)
		if coef < 1 {
			for _, p := range c.params {
				for i := range p.T.Grad {
					p.T.Grad[i] *= float32(coef)
				}
			}
		}
	}
	return n
}

func (c *shimCore) step(lr float64) {
	c.t++
	b1, b2, eps := c.a.AdamBeta1, c.a.AdamBeta2, c.a.AdamEpsilon
	bc1 := 1 - math.Pow(b1, float64(c.t))
	bc2 := 1 - math.Pow(b2, float64(c.t))
	for k, p := range c.params {
		wd := c.a.WeightDecay
		if strings.HasSuffix(p.Name, "bias") || strings.Contains(p.Name, "LayerNorm") {
			wd = 0
		}
		m, v := c.m[k], c.v[k]
		for i, g := range p.T.Grad {
			p.T.Data[i] *= float32(1 - lr*wd)
			m[i] = float32(b1)*m[i] + float32(1-b1)*g
			v[i] = float32(b2)*v[i] + float32(1-b2)*g*g
			den := math.Sqrt(float64(v[i]))/math.Sqrt(bc2) + eps
			p.T.Data[i] -= float32(lr / bc1 * float64(m[i]) / den)
		}
	}
}

func (c *shimCore) save(dir string) error {
	var buf []byte
	buf = binary.LittleEndian.AppendUint64(buf, uint64(c.t))
	for k := range c.m {
		for _, x := range c.m[k] {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
		}
		for _, x := range c.v[k] {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
		}
	}
	return WriteFileAtomic(filepath.Join(dir, "optimizer.bin"), buf)
}

func (c *shimCore) load(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "optimizer.bin"))
	if err != nil {
		return err
	}
	if len(b) < 8 {
		return errors.New("short optimizer.bin")
	}
	c.t = int(binary.LittleEndian.Uint64(b))
	b = b[8:]
	for k := range c.m {
		for i := range c.m[k] {
			c.m[k][i] = math.Float32frombits(binary.LittleEndian.Uint32(b))
			b = b[4:]
		}
		for i := range c.v[k] {
			c.v[k][i] = math.Float32frombits(binary.LittleEndian.Uint32(b))
			b = b[4:]
		}
	}
	return nil
}
