package bert

import "github.com/medbert/medbert/torchfile"

// openTorch opens a pytorch_model.bin (zip or legacy torch.save format)
// without executing its pickle (package torchfile).
func openTorch(path string) (WeightSource, error) {
	f, err := torchfile.Open(path)
	if err != nil {
		return nil, err
	}
	return f, nil
}
