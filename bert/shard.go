package bert

import (
	"strings"

	"github.com/medbert/medbert/torchfile"
)

// openSharded opens model.safetensors.index.json or
// pytorch_model.bin.index.json and every shard it lists. Index parsing, the
// refusal of shard names outside the folder and the check that each shard
// holds what the index promises live in torchfile; here we only choose the
// reader for each shard by its extension.
func openSharded(path string) (WeightSource, error) {
	return torchfile.OpenShardedWith(path, func(p string) (torchfile.Source, error) {
		if strings.HasSuffix(p, ".safetensors") {
			return openSafetensors(p)
		}
		return openTorch(p)
	})
}
