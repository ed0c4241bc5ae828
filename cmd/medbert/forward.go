package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/safetensors"
	"github.com/medbert/medbert/tensor"
)

func init() {
	register(&command{
		name:    "forward",
		summary: "run a model on input ids from a safetensors file and write every hidden state and the head's outputs",
		run:     runForward,
	})
}

// runForward is the parity tool: the same inputs through medbert and through
// PyTorch give tensors that can be compared name by name.
func runForward(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("forward", "forward --model DIR --inputs IN.safetensors --output OUT.safetensors [--head base|seqcls|tokencls|qa|mlm] [--attentions]", stderr)
	model := fs.String("model", "", "model folder (config.json + model.safetensors or pytorch_model.bin)")
	inputs := fs.String("inputs", "", "safetensors file with input_ids (I64 or I32, [batch, seq]) and optional attention_mask, token_type_ids")
	output := fs.String("output", "", "safetensors file to write (F32): hidden_states.0..L (0 = embedding output), pooled_output (base and seqcls: HF builds the other heads without a pooler), logits or start_logits/end_logits")
	head := fs.String("head", "", "head to run: base, seqcls, tokencls, qa, mlm (default: the checkpoint's architectures, else base)")
	attn := fs.Bool("attentions", false, "also write attentions.0..L-1 ([batch, heads, seq, seq] probabilities)")
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	if *model == "" || *inputs == "" || *output == "" {
		fs.Usage()
		return errors.New("--model, --inputs and --output are required")
	}
	if *head != "" {
		if err := bert.CheckHead(*head); err != nil {
			return err
		}
	}
	if err := checkForwardOutput(*output, *inputs, *model); err != nil {
		return err
	}
	in, err := readForwardInputs(*inputs)
	if err != nil {
		return err
	}
	m, rep, err := bert.Load(*model, bert.LoadOptions{Head: *head})
	if err != nil {
		return err
	}
	forwardLoadWarnings(stderr, m, rep)
	out, err := m.Forward(in, nil, bert.Options{HiddenStates: true, Attentions: *attn})
	if err != nil {
		return fmt.Errorf("%s: %w", *inputs, err)
	}
	ts := forwardTensors(out)
	meta := map[string]string{"format": "pt", "head": m.Head, "architecture": bert.ClassName(m.Head)}
	if err := safetensors.Write(*output, ts, meta); err != nil {
		return err
	}
	names := make([]string, 0, len(ts))
	for _, t := range ts {
		if !strings.HasPrefix(t.Name, "hidden_states.") && !strings.HasPrefix(t.Name, "attentions.") {
			names = append(names, fmt.Sprintf("%s %v", t.Name, t.Shape))
		}
	}
	fmt.Fprintf(stdout, "%s (head %s): batch %d, seq %d -> hidden_states.0..%d %v, %s\n",
		bert.ClassName(m.Head), m.Head, in.Batch, in.Seq, len(out.HiddenStates)-1, out.LastHiddenState.Shape, strings.Join(names, ", "))
	return nil
}

// forwardTensors names the outputs as the parity scripts do.
func forwardTensors(out *bert.Output) []safetensors.Tensor {
	var ts []safetensors.Tensor
	add := func(name string, t *tensor.Tensor) {
		if t != nil {
			ts = append(ts, safetensors.F32(name, t.Shape, t.Data))
		}
	}
	for i, h := range out.HiddenStates {
		add("hidden_states."+strconv.Itoa(i), h)
	}
	for i, a := range out.Attentions {
		add("attentions."+strconv.Itoa(i), a)
	}
	add("pooled_output", out.PooledOutput)
	add("logits", out.Logits)
	add("start_logits", out.StartLogits)
	add("end_logits", out.EndLogits)
	return ts
}

// forwardLoadWarnings says what the checkpoint lacked or did not use,
// and what that means for the written outputs.
func forwardLoadWarnings(stderr io.Writer, m *bert.Model, rep *bert.LoadReport) {
	for _, w := range m.Config.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if len(rep.Unused) > 0 {
		// As HF's from_pretrained logs it: expected for a checkpoint holding
		// other heads (e.g. cls.seq_relationship of a pre-training one).
		fmt.Fprintf(stderr, "note: %d checkpoint tensors are not used by %s (%s)\n", len(rep.Unused), bert.ClassName(m.Head), strings.Join(rep.Unused, ", "))
	}
	if len(rep.Missing) > 0 {
		// Say which outputs are affected: a missing pooler or head leaves
		// the hidden states valid; a missing encoder weight spoils them all.
		what := "pooled_output and the head's logits are random; the hidden states come from the checkpoint"
		for _, k := range rep.Missing {
			if strings.HasPrefix(k, "bert.embeddings.") || strings.HasPrefix(k, "bert.encoder.") {
				what = "every output, hidden states included, is meaningless"
				break
			}
		}
		fmt.Fprintf(stderr, "warning: %d parameters of %s are not in the checkpoint and were randomly initialised (%s): %s\n",
			len(rep.Missing), bert.ClassName(m.Head), strings.Join(rep.Missing, ", "), what)
	}
}

// checkForwardOutput refuses an --output that would replace the inputs
// file or a file of the model folder (config.json, weights, shards): the
// write is atomic, so a typo would silently swap the user's weights for
// activations.
func checkForwardOutput(output, inputs, model string) error {
	ost, err := os.Stat(output)
	if err != nil {
		// A new file: fail now, not after loading and running the model,
		// if its folder is missing.
		if dst, err := os.Stat(filepath.Dir(output)); err != nil || !dst.IsDir() {
			return fmt.Errorf("--output %s: folder %s does not exist", output, filepath.Dir(output))
		}
		return nil
	}
	if ost.IsDir() {
		return fmt.Errorf("--output %s is a directory; give a file name such as out.safetensors", output)
	}
	if ist, err := os.Stat(inputs); err == nil && os.SameFile(ost, ist) {
		return fmt.Errorf("--output %s is the --inputs file; refusing to overwrite it", output)
	}
	dst, err1 := os.Stat(filepath.Dir(output))
	mst, err2 := os.Stat(model)
	if err1 == nil && err2 == nil && os.SameFile(dst, mst) {
		base := filepath.Base(output)
		if base == bert.FileConfig || base == bert.FileSafetensors || base == bert.FileTorch ||
			strings.HasSuffix(base, ".index.json") || strings.HasPrefix(base, "model-") || strings.HasPrefix(base, "pytorch_model-") {
			return fmt.Errorf("--output %s would replace the model's own %s; write the outputs elsewhere", output, base)
		}
	}
	return nil
}

// readForwardInputs reads input_ids and the optional attention_mask and
// token_type_ids, all integer tensors of one [batch, seq] shape.
func readForwardInputs(path string) (*bert.Input, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ids, shape, err := readIntTensor(f, path, "input_ids", nil)
	if err != nil {
		return nil, err
	}
	if ids == nil {
		return nil, fmt.Errorf("%s: no tensor \"input_ids\" (want I64 or I32 [batch, seq])", path)
	}
	in := &bert.Input{Batch: shape[0], Seq: shape[1], InputIDs: ids}
	if in.AttentionMask, _, err = readIntTensor(f, path, "attention_mask", shape); err != nil {
		return nil, err
	}
	if in.TokenTypeIDs, _, err = readIntTensor(f, path, "token_type_ids", shape); err != nil {
		return nil, err
	}
	return in, nil
}

// readIntTensor returns nil, nil, nil when the tensor is absent. want, when
// non-nil, is the required shape.
func readIntTensor(f *safetensors.File, path, name string, want []int) ([]int, []int, error) {
	info, ok := f.Info(name)
	if !ok {
		return nil, nil, nil
	}
	if info.DType != "I64" && info.DType != "I32" {
		return nil, nil, fmt.Errorf("%s: tensor %q has dtype %s, want I64 or I32", path, name, info.DType)
	}
	if len(info.Shape) != 2 || info.Shape[0] == 0 || info.Shape[1] == 0 {
		return nil, nil, fmt.Errorf("%s: tensor %q has shape %v, want [batch, seq] with both > 0", path, name, info.Shape)
	}
	if want != nil && (info.Shape[0] != want[0] || info.Shape[1] != want[1]) {
		return nil, nil, fmt.Errorf("%s: tensor %q has shape %v, but input_ids is %v", path, name, info.Shape, want)
	}
	v, shape, err := f.Int64(name)
	if err != nil {
		return nil, nil, err
	}
	out := make([]int, len(v))
	for i, x := range v {
		// On 32-bit platforms an I64 value may not fit an int; such a value
		// can never be a valid id, so map it to one the model rejects.
		if int64(int(x)) != x {
			x = -1
		}
		out[i] = int(x)
	}
	return out, shape, nil
}
