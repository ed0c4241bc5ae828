package pipeline

import (
	"encoding/json"
	"path/filepath"

	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/internal/atomicfile"
	"github.com/medbert/medbert/tokenize"
)

// DataSummaryFile records, in a model folder, what the model was trained
// on (rows, class balance, lengths, truncation, de-identification) for its
// model card. It holds counts only, never text.
const DataSummaryFile = "training_data_summary.json"

// DataSummary is the content of DataSummaryFile.
type DataSummary struct {
	data.Summary
	// Deidentified says whether the text fields went through medbert's
	// de-identification before tokenizing (nil: not recorded).
	Deidentified *bool `json:"deidentified,omitempty"`
}

// Summarize counts examples and labels and measures their lengths in
// tokens with [CLS]/[SEP], as the model sees them before truncation to
// maxLen (texts are cut at 4·maxLen tokens first, so a huge row costs
// little; its length then reads as that bound).
func Summarize(tok *tokenize.Tokenizer, exs []data.Example, maxLen int) data.Summary {
	length := func(e data.Example) int {
		var enc tokenize.Encoding
		var err error
		text := tok.CutForTokens(e.Text, 4*maxLen)
		if e.TextPair == "" {
			enc, err = tok.Encode(text, tokenize.Options{})
		} else {
			enc, err = tok.EncodePair(text, tok.CutForTokens(e.TextPair, 4*maxLen), tokenize.Options{})
		}
		if err != nil { // cannot happen without truncation; count it as empty
			return 0
		}
		return enc.Len()
	}
	return data.Summarize(exs, length, "tokens", maxLen)
}

// SaveDataSummary writes s into the model folder dir.
func SaveDataSummary(dir string, s DataSummary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, DataSummaryFile), append(b, '\n'))
}
