package train

import (
	"fmt"
	"path/filepath"

	"github.com/medbert/medbert/bert"
)

// CopyWeights reads the weights of the model folder dir and copies them
// into m's existing parameter tensors (same names and shapes required), so
// slices held elsewhere (the optimizer's views of Data) stay valid.
func CopyWeights(m *bert.Model, dir string) error {
	src, name, err := bert.OpenWeights(dir)
	if err != nil {
		return err
	}
	defer src.Close()
	byCanon := map[string]string{}
	for _, n := range src.Names() {
		byCanon[bert.CanonicalKey(n)] = n
	}
	for _, p := range m.Params() {
		n, ok := byCanon[p.Name]
		if !ok {
			return fmt.Errorf("%s: parameter %s is missing", filepath.Base(name), p.Name)
		}
		data, shape, err := src.Float32(n)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", filepath.Base(name), n, err)
		}
		if len(data) != len(p.T.Data) || len(shape) != len(p.T.Shape) {
			return fmt.Errorf("%s: %s has shape %v, the model wants %v", filepath.Base(name), n, shape, p.T.Shape)
		}
		copy(p.T.Data, data)
	}
	return nil
}
