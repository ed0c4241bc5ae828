package bert

import "fmt"

// openTorch opens a pytorch_model.bin. Placeholder until package torchfile
// builds; replaced by a torchfile.Open wrapper.
func openTorch(path string) (WeightSource, error) {
	return nil, fmt.Errorf("%s: PyTorch checkpoints are not supported yet", path)
}
