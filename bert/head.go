package bert

import "fmt"

// Head names a model class: the bare encoder or one of the four task heads.
const (
	HeadBase     = "base"     // BertModel (with pooler)
	HeadSeqCls   = "seqcls"   // BertForSequenceClassification
	HeadTokenCls = "tokencls" // BertForTokenClassification
	HeadQA       = "qa"       // BertForQuestionAnswering
	HeadMLM      = "mlm"      // BertForMaskedLM
)

// Heads lists every head name.
var Heads = []string{HeadBase, HeadSeqCls, HeadTokenCls, HeadQA, HeadMLM}

// headClass is the HF class name written to config.json "architectures".
var headClass = map[string]string{
	HeadBase:     "BertModel",
	HeadSeqCls:   "BertForSequenceClassification",
	HeadTokenCls: "BertForTokenClassification",
	HeadQA:       "BertForQuestionAnswering",
	HeadMLM:      "BertForMaskedLM",
}

// ClassName returns the HF class name of a head ("BertForMaskedLM", ...).
func ClassName(head string) string { return headClass[head] }

// CheckHead returns an error for an unknown head name.
func CheckHead(head string) error {
	if _, ok := headClass[head]; !ok {
		return fmt.Errorf("unknown head %q (want base, seqcls, tokencls, qa or mlm)", head)
	}
	return nil
}

// DefaultHead picks the head a config's "architectures" names, else base.
// BertForPreTraining checkpoints (e.g. original BERT/BioBERT releases) carry
// the masked-LM head, so they default to mlm.
func DefaultHead(c *Config) string {
	for _, a := range c.Architectures {
		switch a {
		case "BertForSequenceClassification":
			return HeadSeqCls
		case "BertForTokenClassification":
			return HeadTokenCls
		case "BertForQuestionAnswering":
			return HeadQA
		case "BertForMaskedLM", "BertForPreTraining", "BertLMHeadModel":
			return HeadMLM
		case "BertModel":
			return HeadBase
		}
	}
	return HeadBase
}

// hasPooler reports whether HF builds the head's BertModel with a pooler:
// TC, QA and MLM use add_pooling_layer=False.
func hasPooler(head string) bool { return head == HeadBase || head == HeadSeqCls }
